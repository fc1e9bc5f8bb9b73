using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Pleura.Networks.Weights;

/// <summary>
/// Maps the key variants of published checkpoints to torchvision's names: wrappers from nn.DataParallel ("module.")
/// and CheXNet ("densenet121."), old DenseNet layer names ("norm.1" for "norm1"), and a classifier wrapped in a
/// Sequential ("classifier.0." for "classifier.") where the model has a plain classifier.
/// </summary>
public static partial class KeyMapping
{
    static readonly string[] Wrappers = { "module.", "densenet121.", "model.", "backbone." };

    [GeneratedRegex(@"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var|num_batches_tracked))$")]
    private static partial Regex OldDenseLayer();

    /// <summary>The mapped state dict and every renamed key (old, new).</summary>
    public static (List<KeyValuePair<string, Tensor>> Mapped, List<(string From, string To)> Renamed) Apply(
        IEnumerable<KeyValuePair<string, Tensor>> weights, IReadOnlySet<string>? modelKeys = null)
    {
        var mapped = new List<KeyValuePair<string, Tensor>>();
        var renamed = new List<(string, string)>();
        foreach (var (key, value) in weights)
        {
            var k = key;
            bool stripped;
            do
            {
                stripped = false;
                foreach (var w in Wrappers)
                    if (k.StartsWith(w, StringComparison.Ordinal) && (modelKeys is null || !modelKeys.Contains(k))) { k = k[w.Length..]; stripped = true; }
            } while (stripped);
            var m = OldDenseLayer().Match(k);
            if (m.Success) k = m.Groups[1].Value + m.Groups[2].Value;
            if (k.StartsWith("classifier.0.", StringComparison.Ordinal) && modelKeys is not null && modelKeys.Contains("classifier.weight") && !modelKeys.Contains(k))
                k = "classifier." + k["classifier.0.".Length..];
            if (k != key) renamed.Add((key, k));
            mapped.Add(new(k, value));
        }
        return (mapped, renamed);
    }
}
