using Pleura.Evaluation;
using Pleura.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pleura.Training;

/// <summary>
/// A classifier head fitted in closed form instead of trained: ridge regression of the grade on the frozen pooled
/// features (every stage before the head, in eval mode), its strength chosen on the validation part by macro MAE
/// (<see cref="RidgeProbe"/>), then written into the network's own linear head so the result is an ordinary checkpoint
/// that evaluate, predict, serve, explain (Grad-CAM through the head) and export take like any other. The head computes
/// logit_k = a (k r − k²/2) from the ridge estimate r: a discretised Gaussian around r, whose most probable and expected
/// grade are both r rounded (halves up, as the probe rounds) and clamped to the grades. With a = <see cref="Sharpness"/>
/// the far grades carry under e^-8 of the mass, so they never move that rounding.
/// </summary>
public static class RidgeHead
{
    public const double Sharpness = 16;

    /// <summary>Fits and writes the head; returns the probe (its strength, for the record).</summary>
    /// <param name="input">The input recipe applied to grey batches.</param>
    public static RidgeProbe Fit(nn.Module<Tensor, Tensor> model, string headPrefix, Tensor trainImages, IReadOnlyList<int> trainLabels,
        Tensor validationImages, IReadOnlyList<int> validationLabels, Func<Tensor, Tensor> input, int classes, int batchSize = 32)
    {
        if (model is not IStagedNetwork staged)
            throw new InvalidOperationException($"a ridge head needs a network whose stages can be cut before its head ({model.GetType().Name} is not one)");
        var head = ModuleTree.DepthFirst(model).FirstOrDefault(m => m.Name + "." == headPrefix).Module as Linear
            ?? throw new InvalidOperationException($"the network's head '{headPrefix}' is not one linear layer");
        var stages = staged.Stages;
        if (!stages[^1].ParameterPrefixes.All(p => p.StartsWith(headPrefix, StringComparison.Ordinal)))
            throw new InvalidOperationException($"the network's last stage is not its head '{headPrefix}'");
        var probe = RidgeProbe.FitChoosingStrength(NetworkStages.HeadInputs(staged, trainImages, input, batchSize), trainLabels,
            NetworkStages.HeadInputs(staged, validationImages, input, batchSize), validationLabels, classes - 1);
        var (weights, bias) = probe.LinearForm();
        var w = new float[classes * weights.Length];
        var b = new float[classes];
        for (int k = 0; k < classes; k++)
        {
            for (int j = 0; j < weights.Length; j++) w[k * weights.Length + j] = (float)(Sharpness * k * weights[j]);
            b[k] = (float)(Sharpness * (k * bias - k * k / 2.0));
        }
        using var _ = no_grad();
        using var wt = tensor(w, new long[] { classes, weights.Length });
        using var bt = tensor(b);
        head.weight!.copy_(wt);
        head.bias!.copy_(bt);
        return probe;
    }
}
