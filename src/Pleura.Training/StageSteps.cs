using Pleura.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pleura.Training;

/// <summary>
/// What each stage of the two-stage method trains and how its batches run, in one place: the trainer runs it and
/// `pleura bench models` times it, so the bench's stage 1 and stage 2 figures are the trainer's own steps.
/// </summary>
public static class StageSteps
{
    /// <summary>Stage 1: the head alone; stage 2: the last <paramref name="unfreezeConvLayers"/> convolutions (with their
    /// batch-norms) and everything under <paramref name="stage2Prefix"/>.</summary>
    public static HashSet<string> Trainable(nn.Module model, int stage, string headPrefix, string stage2Prefix, int unfreezeConvLayers) =>
        stage == 1
            ? model.named_parameters().Where(p => p.name.StartsWith(headPrefix, StringComparison.Ordinal)).Select(p => p.name).ToHashSet()
            : ModuleTree.LastConvolutions(model, unfreezeConvLayers, stage2Prefix);

    /// <summary>Marks the trainable parameters as needing gradients (and no others) and returns them, for the optimizer.</summary>
    public static List<Parameter> Unfreeze(nn.Module model, IReadOnlySet<string> trainable)
    {
        var parameters = new List<Parameter>();
        foreach (var (name, p) in model.named_parameters())
        {
            p.requires_grad = trainable.Contains(name);
            if (p.requires_grad) parameters.Add(p);
        }
        return parameters;
    }

    /// <summary>Training mode, except batch-norm layers whose parameters are frozen: their statistics stay fixed.</summary>
    public static void SetModes(nn.Module model, IReadOnlySet<string> trainable)
    {
        model.train();
        foreach (var (name, module) in ModuleTree.DepthFirst(model))
            if (module is BatchNorm2d && !trainable.Contains(name + ".weight")) module.eval();
    }

    /// <summary>
    /// The stages after the cut, on a batch of cached prefix outputs (contiguous rows, as the cache holds them). Laying
    /// them out channels-last again was measured and not kept: no faster on ResNet-18 and ResNet-50 stage 2 (0.85-0.99x).
    /// </summary>
    public static Func<Tensor, Tensor> AfterCut(IReadOnlyList<NetworkStage> stages, int cut) => x => NetworkStages.Run(stages, x, cut, stages.Count);
}
