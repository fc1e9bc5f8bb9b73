namespace Pleura.Store;

/// <summary>Where a trial stands.</summary>
public static class TrialStatus
{
    public const string Queued = "queued", Running = "running", Done = "done", Failed = "failed";
}

/// <summary>
/// One unit of work: a side model of one grid combination on one fold, identified by a hash of its configuration and
/// data. The same hash is never trained twice.
/// </summary>
public sealed record TrialRecord
{
    public required string Hash { get; init; }
    public required string Study { get; init; }
    /// <summary>The first level that asked for the trial (1, 2 or 3); later levels reuse it.</summary>
    public int Level { get; init; }
    public required string Combination { get; init; }
    public string Roi { get; init; } = "";
    public string Balancing { get; init; } = "";
    public string Backbone { get; init; } = "";
    public string Side { get; init; } = "";
    public int Fold { get; init; }
    public string ConfigJson { get; init; } = "{}";
    public string Status { get; init; } = TrialStatus.Queued;
    public string Worker { get; init; } = "";
    public DateTime? StartedUtc { get; init; }
    public DateTime? FinishedUtc { get; init; }
    public double Seconds { get; init; }
    public string Checkpoint { get; init; } = "";
    public string Error { get; init; } = "";
}

/// <summary>A trial's figure on a set (e.g. its fold's test part), against a reference (reader 1).</summary>
public sealed record MetricRecord(string TrialHash, string Set, string Metric, double Value, int Count);

/// <summary>One epoch of a trial's training log.</summary>
public sealed record EpochLog(string TrialHash, int Stage, int Epoch, double LearningRate, double TrainLoss, double ValidationLoss,
    double ValidationMacroMae, double ValidationAccuracy, double Seconds, double ResidentMb);

/// <summary>
/// A study-level figure: levels 1-2 (per combination), level 3 (final model vs each reader, reader vs reader) and
/// level 4 (per subgroup), the data flow and timings, with its bootstrap interval and sample count. <see cref="Selected"/>
/// marks what goes on: the top K of level 1, the chosen combination of level 2; <see cref="Note"/> says why, or marks
/// e.g. groups too small to judge.
/// </summary>
public sealed record ResultRecord(string Study, string Level, string Grouping, string Group, string Side, string Comparison, string Metric,
    double Value, double? Low, double? High, int Count, string Note = "", bool Selected = false);

/// <summary>The <see cref="ResultRecord.Level"/> values a study writes.</summary>
public static class ResultLevels
{
    public const string Ranking = "1", Selection = "2", Final = "3", FinalHeatmaps = "3-heatmaps", Subgroups = "4", Flow = "flow", Timing = "timing",
        CrossValidated = "cv", CrossValidatedPaired = "cv-paired";
}

/// <summary>
/// The <see cref="ResultRecord.Comparison"/> values of agreement rows (what is graded against which reader) and the
/// <see cref="ResultRecord.Grouping"/> values of the cross-validated tables: named once for the study that writes them
/// and the report that reads them.
/// </summary>
public static class ResultComparisons
{
    public const string ModelVsReader1 = "model_vs_reader1", ModelVsReader2 = "model_vs_reader2", Reader2VsReader1 = "reader2_vs_reader1",
        SingleModelVsReader1 = "single_model_vs_reader1", ProbeVsReader1 = "probe_vs_reader1", IntensityVsReader1 = "intensity_vs_reader1";
    public const string CombinationGrouping = "combination", BaselineGrouping = "baseline";
}

/// <summary>A file a trial or the study produced (checkpoint, predictions, heatmaps).</summary>
public sealed record ArtefactRecord(string Study, string Owner, string Kind, string Path);
