using Pleura.Data;
using Pleura.Datasets;
using Pleura.Imaging;
using Pleura.Training;

namespace Pleura.Grading;

/// <summary>What `pleura train` does: one model per lung from a manifest and a split.</summary>
public sealed record GradingJob
{
    public required string ManifestPath { get; init; }
    public required string SplitPath { get; init; }
    public required string RunFolder { get; init; }
    public int Fold { get; init; } = 1;
    public TrainingConfig Training { get; init; } = new();
    public IReadOnlyList<Side> Sides { get; init; } = Side.Both;
    /// <summary>One model for the listed sides (`--sides pooled`): trained on every side's images, the left lung's ROI
    /// mirrored so that all look like right lungs (Imaging's PooledSides), saved and scored per side as usual.</summary>
    public bool Pooled { get; init; }
    /// <summary>A safetensors file of backbone weights to start from (its classifier head is replaced).</summary>
    public string? Pretrained { get; init; }
    public ErrorPolicy OnUnreadableImage { get; init; } = ErrorPolicy.Continue;
    /// <summary>What each side's model sees (METHOD section 3); lung and spine need the manifest's lung masks.</summary>
    public Pleura.Imaging.Roi.RoiScheme Roi { get; init; } = Pleura.Imaging.Roi.RoiScheme.None;
}
