using Pleura.Data;
using Pleura.Datasets;
using Pleura.Imaging;
using Pleura.Store;
using Pleura.Training;

namespace Pleura.Study;

/// <summary>What every trial of a study shares: data, split, decoded images and ROIs, the activation cache, the store.</summary>
public sealed class StudyContext : IDisposable
{
    public required StudySpec Spec { get; init; }
    public required string Folder { get; init; }
    public required Manifest Manifest { get; init; }
    public required ValidationReport Validation { get; init; }
    public required SplitPlan Plan { get; init; }
    public required string SplitFingerprint { get; init; }
    public required RoiImages Images { get; init; }
    public required IExperimentStore Store { get; init; }
    public ActivationCache? Cache { get; init; }
    public Action<string> Log { get; init; } = _ => { };
    /// <summary>Trials run at once in this process.</summary>
    public int Workers { get; init; } = 1;
    /// <summary>Who claims trials in the store: host:pid for a local run, slurm:JOB_TASK for a task of a job array.</summary>
    public string Worker { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";
    /// <summary>Runs a level's pending trials elsewhere (a cluster); null runs them in this process.</summary>
    public ITrialExecutor? Executor { get; init; }

    public string DataFingerprint => Manifest.Fingerprint();
    public string TrialFolder(string hash) => Path.Combine(Folder, "trials", hash);
    /// <summary>The fold level 3 trains on: one no selection trial used.</summary>
    public int FinalFold => Spec.Folds + 1;

    public string? PretrainedFingerprint(string backbone) =>
        Spec.Pretrained.TryGetValue(backbone, out var path) ? TrialPlan.FileFingerprint(path) : null;

    public SideColumns Columns(string side) => Spec.Readers[side];

    /// <summary>
    /// The same study on another split of the same manifest (cross-validation): images, ROIs, cache and store shared,
    /// trials hashed with that split's fingerprint. Its trials run in this process (a cluster task rebuilds a trial
    /// from the study's own split). Not to be disposed: the cache belongs to this context.
    /// </summary>
    public StudyContext WithSplit(SplitPlan plan, string splitFingerprint) => new()
    {
        Spec = Spec, Folder = Folder, Manifest = Manifest, Validation = Validation, Plan = plan, SplitFingerprint = splitFingerprint,
        Images = Images, Store = Store, Cache = Cache, Log = Log, Workers = Workers, Worker = Worker, Executor = null,
    };

    public void Dispose() => Cache?.Dispose();
}
