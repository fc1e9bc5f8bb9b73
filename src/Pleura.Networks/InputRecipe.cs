using System.Globalization;
using static TorchSharp.torch;

namespace Pleura.Networks;

/// <summary>
/// How a grey radiograph in [0, 1] becomes a network's input, as the weights were trained (torchvision's
/// <c>Weights.transforms</c>): grey scaled by <see cref="Scale"/>, then per input channel <c>(x - Mean[c]) / Std[c]</c>.
/// Weights bring it (a checkpoint's sidecar) and every path that feeds a model goes through <see cref="Feed"/>, so a
/// model is always fed as it was trained. Pleura's own default is grey in [0, 1] (METHOD section 6); ImageNet weights
/// exported from CNTK expect BGR in 0-255 minus the ImageNet channel means.
/// </summary>
public sealed record InputRecipe
{
    /// <summary>Grey in [0, 1], nothing subtracted: METHOD section 6, and every model Pleura trained before recipes existed.</summary>
    public static readonly InputRecipe UnitGrey = new();

    /// <summary>
    /// The CNTK ImageNet ResNets (Microsoft.ML.DnnImageFeaturizer): BGR, 0-255, minus the channel means of the ImageNet
    /// 224x224 mean image that package's ResNetPreprocess.onnx subtracts (measured there, B, G, R; the image's own spread
    /// within a channel is 3-6 grey levels, and a channel mean serves every input size).
    /// </summary>
    public static readonly InputRecipe ImageNetCntk = new()
    {
        Scale = 255, ChannelOrder = "BGR", Mean = new[] { 103.063, 115.903, 123.152 }, Std = new[] { 1.0, 1.0, 1.0 },
    };

    /// <summary>The grey value in [0, 1] is multiplied by this first (255 for networks trained on 8-bit pixels).</summary>
    public double Scale { get; init; } = 1;
    /// <summary>Subtracted per input channel, in <see cref="ChannelOrder"/>.</summary>
    public IReadOnlyList<double> Mean { get; init; } = new[] { 0.0, 0.0, 0.0 };
    /// <summary>Divided per input channel after the mean.</summary>
    public IReadOnlyList<double> Std { get; init; } = new[] { 1.0, 1.0, 1.0 };
    /// <summary>The channel order the weights expect (a grey radiograph is the same in every channel; the order says
    /// which mean goes where).</summary>
    public string ChannelOrder { get; init; } = "RGB";

    public bool IsUnitGrey => Scale == 1 && Mean.All(m => m == 0) && Std.All(s => s == 1);

    public string Description => IsUnitGrey ? "grey scaled to [0, 1]"
        : $"grey x {Number(Scale)} as {ChannelOrder}, minus mean ({string.Join(", ", Mean.Select(Number))})" +
          (Std.All(s => s == 1) ? "" : $", divided by ({string.Join(", ", Std.Select(Number))})");

    static string Number(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Refuses a recipe that cannot feed a network (wrong lengths, zero spread).</summary>
    public void Check()
    {
        if (Mean.Count != 3 || Std.Count != 3) throw new ArgumentException("an input recipe gives three channel means and three spreads");
        if (Scale <= 0 || Std.Any(s => s <= 0)) throw new ArgumentException("an input recipe's scale and spreads must be positive");
    }

    /// <summary>
    /// N x 1 x H x W grey in [0, 1] to the network's input: <paramref name="channels"/> = 3 replicates the grey channel
    /// and applies each channel's mean and spread; 1 (a summed first convolution) applies the channels' average, which
    /// is the same function when the first convolution was summed by <c>GreyInput</c> (it folds the rest into the
    /// following batch-norm). Laid out channels-last, the layout Pleura's convolutions run fastest in.
    /// </summary>
    public Tensor Feed(Tensor grey, int channels)
    {
        using var scope = NewDisposeScope();
        Tensor x = channels == 3 ? grey.expand(-1, 3, -1, -1) : grey;
        if (!IsUnitGrey)
        {
            var (mean, std) = channels == 3
                ? (Mean.Select(m => (float)m).ToArray(), Std.Select(s => (float)s).ToArray())
                : (new[] { (float)Mean.Average() }, new[] { (float)Std.Average() });
            x = (x * (float)Scale - tensor(mean).view(1, channels, 1, 1)) / tensor(std).view(1, channels, 1, 1);
        }
        return ChannelsLast.Of(x).MoveToOuterDisposeScope();
    }
}
