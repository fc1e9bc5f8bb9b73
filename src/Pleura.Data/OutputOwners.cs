namespace Pleura.Data;

/// <summary>
/// What each command's own output folder belongs to (<see cref="FolderOwner"/>, pleura-owner.json): the command and
/// what it was made from. The command refuses, before any work, a folder of another owner
/// (<see cref="FolderOwner.RefuseOtherOutput"/>) and records itself when it writes (<see cref="FolderOwner.ClaimOutput"/>),
/// so that a rerun replaces its own results and never another run's, study's or ingest's.
/// </summary>
public static class OutputOwners
{
    static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    /// <summary>`pleura evaluate`: a run's scores on one part of one fold.</summary>
    public static FolderOwner Evaluation(string runFolder, SplitPart part, int fold) =>
        FolderOwner.Output("evaluation", Full(runFolder), ("part", part), ("fold", fold));

    /// <summary>`pleura explain`: a run's heatmaps on one part of one fold.</summary>
    public static FolderOwner Explanation(string runFolder, SplitPart part, int fold) =>
        FolderOwner.Output("explanation", Full(runFolder), ("part", part), ("fold", fold));

    /// <summary>`pleura export onnx`: a run's models as ONNX.</summary>
    public static FolderOwner OnnxExport(string runFolder) => FolderOwner.Output("ONNX export", Full(runFolder));

    /// <summary>`pleura segment predict`: a segmentation model's masks.</summary>
    public static FolderOwner Masks(string model) => FolderOwner.Output("segmentation", Full(model));

    /// <summary>`pleura segment opacity`: an opacity model's measurements on a manifest.</summary>
    public static FolderOwner Opacity(string model, string manifest) => FolderOwner.Output("opacity measurement", Full(model), ("manifest", Full(manifest)));

    /// <summary>`pleura segment spine-band`: band masks derived from two folders of lung masks.</summary>
    public static FolderOwner SpineBand(string leftMasks, string rightMasks) =>
        FolderOwner.Output("spine band masks", Full(leftMasks), ("right", Full(rightMasks)));

    /// <summary>`pleura segment zones-cv`: opacity maps learned from zone scores, cross-validated by patient on one manifest's data.</summary>
    public static FolderOwner ZoneCrossValidation(string manifestFingerprint, int folds, int splitSeed, string training) =>
        FolderOwner.Output("zone cross-validation", "opacity from zone scores", ("manifest", manifestFingerprint), ("folds", folds), ("split_seed", splitSeed), ("training", training));

    /// <summary>`pleura classify evaluate`: a classifier run on an external source.</summary>
    public static FolderOwner ClassifierEvaluation(string runFolder, string source) =>
        FolderOwner.Output("classifier evaluation", Full(runFolder), ("source", source));

    /// <summary>`pleura classify explain`: a classifier run's heatmaps.</summary>
    public static FolderOwner ClassifierExplanation(string runFolder) => FolderOwner.Output("classifier explanation", Full(runFolder));

    /// <summary>`pleura classify compare`: run B against run A.</summary>
    public static FolderOwner ClassifierComparison(string first, string second) =>
        FolderOwner.Output("classifier comparison", $"{Full(second)} against {Full(first)}");
}
