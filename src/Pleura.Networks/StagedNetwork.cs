using static TorchSharp.torch;

namespace Pleura.Networks;

/// <summary>
/// One piece of a network's forward pass, in order: running every stage in turn equals <c>forward</c>.
/// </summary>
/// <param name="ParameterPrefixes">State-dict prefixes of the parameters this stage owns.</param>
/// <param name="Stochastic">True for layers that behave randomly in training mode (dropout): a frozen prefix must end before them.</param>
public sealed record NetworkStage(string Name, IReadOnlyList<string> ParameterPrefixes, Func<Tensor, Tensor> Run, bool Stochastic = false)
{
    public bool Owns(string parameterName) => ParameterPrefixes.Any(p => parameterName.StartsWith(p, StringComparison.Ordinal));
}

/// <summary>
/// A network whose forward pass is a chain of stages. Training uses it to cut the network where the first trainable
/// parameter sits: everything before the cut is frozen and deterministic, so its output can be computed once per image.
/// </summary>
public interface IStagedNetwork
{
    IReadOnlyList<NetworkStage> Stages { get; }
}

public static class NetworkStages
{
    /// <summary>Runs stages [from, to) on x.</summary>
    public static Tensor Run(IReadOnlyList<NetworkStage> stages, Tensor x, int from, int to)
    {
        for (int i = from; i < to; i++) x = stages[i].Run(x);
        return x;
    }

    /// <summary>
    /// What the network's head reads for each image (every stage but the last, in eval mode, as float32 rows): the
    /// frozen features that linear read-outs (the ridge probe baseline, ridge heads) are fitted on.
    /// </summary>
    /// <param name="input">Turns a batch of grey images into the network's input (its recipe and channels).</param>
    public static IReadOnlyList<float[]> HeadInputs(IStagedNetwork network, Tensor images, Func<Tensor, Tensor> input, int batchSize)
    {
        ((nn.Module)network).eval();
        using var _ = no_grad();
        var stages = network.Stages;
        var rows = new List<float[]>();
        for (long start = 0; start < images.shape[0]; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var x = input(images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start)));
            var pooled = Run(stages, x, 0, stages.Count - 1).flatten(1).to_type(ScalarType.Float32).contiguous();
            var values = pooled.data<float>().ToArray();
            int d = (int)pooled.shape[1];
            for (int i = 0; i < pooled.shape[0]; i++) rows.Add(values.AsSpan(i * d, d).ToArray());
        }
        return rows;
    }

    /// <summary>
    /// The first stage that owns a trainable parameter or behaves randomly: stages before it form a frozen, deterministic prefix.
    /// </summary>
    public static int FrozenPrefixLength(IReadOnlyList<NetworkStage> stages, IReadOnlySet<string> trainable)
    {
        for (int i = 0; i < stages.Count; i++)
            if (stages[i].Stochastic || trainable.Any(stages[i].Owns)) return i;
        return stages.Count;
    }
}
