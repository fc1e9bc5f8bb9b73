using System.Diagnostics;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Imaging;
using Pleura.Imaging.Roi;
using Pleura.Store;
using Pleura.Training;

namespace Pleura.Study;

/// <summary>How much of a study to run now.</summary>
public sealed record StudyRunOptions
{
    /// <summary>Run levels up to this one (1-4).</summary>
    public int UpToLevel { get; init; } = 4;
    /// <summary>Override the study file's cache setting (benchmarks compare both).</summary>
    public bool? Cache { get; init; }
    /// <summary>Trials at once; the cores are shared out between them.</summary>
    public int Workers { get; init; } = 1;
    /// <summary>Runs each level's trials on a cluster instead of in this process.</summary>
    public ITrialExecutor? Executor { get; init; }
    /// <summary>Who claims trials (default host:pid); a cluster task names its job.</summary>
    public string? Worker { get; init; }
    /// <summary>
    /// Only the cross-validated estimate of the grid's combinations, the first as the reference: for a recipe fixed
    /// beforehand (a grid of one combination), e.g. to compare settings paired on the same folds without levels 1-3.
    /// </summary>
    public bool CrossValidationOnly { get; init; }
}

/// <summary>
/// `pleura study run|resume`: opens the study (store, split, images), then runs the levels of METHOD section 9 in turn.
/// Every trial is claimed in the store before it runs and recorded when it ends, so a killed run resumes where it
/// stopped (a trial cut off mid-training continues from its last epoch) and finished trials are never recomputed.
/// </summary>
public static class StudyRunner
{
    public const string StoreFile = "study.db";

    public static string DefaultFolder(string studyFile, StudySpec spec) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(studyFile))!, spec.Name);

    public static IExperimentStore OpenStore(string folder) => SqlExperimentStore.OpenSqlite(Path.Combine(folder, StoreFile));

    /// <summary>The study's store: <paramref name="location"/> (from --store) or the study file's, else STUDY_FOLDER/study.db.</summary>
    public static SqlExperimentStore OpenStore(StudySpec spec, string folder, string? location = null) =>
        ExperimentStores.Open(StoreLocation(spec, location), Path.Combine(folder, StoreFile));

    public static string? StoreLocation(StudySpec spec, string? location) => string.IsNullOrWhiteSpace(location) ? spec.Store : location;

    public static StudyContext Open(StudySpec spec, string folder, IExperimentStore store, StudyRunOptions options, Action<string> log, Action<int, int>? loading = null)
    {
        var validation = new ValidationReport();
        var manifest = OpenManifest(spec, validation);
        StudyFolder.Claim(spec, folder);

        string splitPath = Path.Combine(folder, "split.json");
        SplitPlan plan;
        if (File.Exists(splitPath))
        {
            plan = SplitPlan.Load(splitPath);
            if (plan.ManifestFingerprint != manifest.Fingerprint())
                throw new InvalidDataException($"{spec.Manifest} changed since this study's split was made ({splitPath}); start a new study folder or restore the manifest");
        }
        else
        {
            plan = PatientSplitter.Split(manifest, new SplitOptions
            {
                Seed = spec.Split.Seed, OutOfBoxFraction = spec.Split.OobFraction, Folds = spec.Folds + 1,
                StratifyBy = spec.Readers.Values.Select(r => r.Reader1).ToList(),
            });
            plan.Save(splitPath);
        }
        log($"{manifest.Rows.Count} images of {manifest.Rows.Select(r => r.PatientId).Distinct().Count()} patients; reading them at {spec.Training.ImageSize}x{spec.Training.ImageSize}");
        var images = RoiImages.Load(manifest, manifest.Rows, spec.Training.ImageSize, ErrorPolicy.Continue, done => loading?.Invoke(done, manifest.Rows.Count));
        if (images.Unreadable.Count > 0) log($"{images.Unreadable.Count} unreadable image(s) left out (listed in the report)");

        store.SaveStudy(spec.Name, spec.ToJson());
        int requeued = store.Requeue(spec.Name, w => WorkerIsGone(w));
        if (requeued > 0) log($"{requeued} trial(s) left running by a stopped run go back in the queue");
        return new StudyContext
        {
            Spec = spec, Folder = folder, Manifest = manifest, Validation = validation, Plan = plan,
            SplitFingerprint = TrialPlan.FileFingerprint(splitPath), Images = images, Store = store,
            Cache = options.Cache ?? spec.Cache ? new ActivationCache { Disk = spec.CacheFolder == "" ? null : new ActivationDiskCache(spec.CacheFolder) } : null, Log = log, Workers = Math.Max(1, options.Workers),
            Executor = options.Executor, Worker = options.Worker ?? $"{Environment.MachineName}:{Environment.ProcessId}",
        };
    }

    /// <summary>
    /// The study's manifest, with everything the study file names in it checked before the first trial: reader
    /// columns (grades 0-3), level-4 grouping columns, and lung masks where the grid has a lung or spine ROI.
    /// </summary>
    public static Manifest OpenManifest(StudySpec spec, ValidationReport? validation = null)
    {
        var readers = spec.Readers.Values.SelectMany(r => new[] { r.Reader1, r.Reader2 }).OfType<string>().ToList();
        var columns = ManifestCsv.Columns(spec.Manifest);
        foreach (var column in readers.Where(c => !columns.Contains(c)))
            throw new InvalidDataException($"{spec.Manifest} has no column '{column}' (named under 'readers' in the study file)");
        var manifest = ManifestInput.Open(spec.Manifest, readers, validation);
        foreach (var group in spec.Groups)
        {
            try { Subgroups.Key(group, manifest); }
            catch (InvalidDataException) { throw new InvalidDataException($"{spec.Manifest} has no column '{group}' (named under 'groups' in the study file; level 4 groups by it)"); }
        }
        var needsMasks = spec.Grid.Roi.Where(r => RoiSchemes.Parse(r) != RoiScheme.None).ToList();
        if (needsMasks.Count > 0 && !RoiImages.ManifestHasMasks(manifest))
            throw new InvalidDataException($"the grid's ROI {string.Join(", ", needsMasks)} needs lung masks, and {spec.Manifest} has no left_lung_mask / right_lung_mask " +
                                           "or lung_mask column (run `pleura segment predict --manifest` with a lung model, or use roi: [none])");
        return manifest;
    }

    /// <summary>A worker on this machine whose process has ended; workers elsewhere are assumed alive.</summary>
    /// <param name="self">Whether this process counts as gone (true when it starts a run afresh: nothing of it is running yet).</param>
    public static bool WorkerIsGone(string worker, bool self = true)
    {
        var parts = worker.Split(':');
        if (parts.Length != 2 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], out int pid)) return false;
        if (pid == Environment.ProcessId) return self;
        try { using var p = Process.GetProcessById(pid); return p.HasExited; }
        catch (ArgumentException) { return true; }
    }

    public static void Run(StudyContext context, StudyRunOptions options, CancellationToken cancel = default)
    {
        var spec = context.Spec;
        DataFlow.Record(context);
        DataFlow.RecordRoiFailures(context);
        var clock = Stopwatch.StartNew();
        if (options.CrossValidationOnly)
        {
            if (spec.CrossValidation.Folds == 0) throw new InvalidDataException($"study '{spec.Name}': cross-validation only, but cross_validation.folds is 0 (off) in the study file");
            var grid = Combination.Grid(spec.Grid, spec.Training.Head);
            CrossValidation.Run(context, grid[0], grid, cancel);
            Timing(context, "cv", clock);
            return;
        }
        var level1 = Levels.One(context, cancel);
        Timing(context, "1", clock);
        if (options.UpToLevel < 2) return;
        clock.Restart();
        var chosen = Levels.Two(context, level1, cancel);
        Timing(context, "2", clock);
        if (options.UpToLevel < 3 || chosen is null) return;
        clock.Restart();
        var final = Levels.Three(context, chosen, cancel);
        Timing(context, "3", clock);
        if (options.UpToLevel < 4) return;
        Levels.Four(context, final);
        if (spec.CrossValidation.Folds == 0) return;
        clock.Restart();
        var candidates = spec.CrossValidation.Candidates == CrossValidationCandidates.TopK
            ? level1.Where(s => s.Complete).Take(spec.TopK).Select(s => s.Combination).ToList()
            : new List<Combination>();
        CrossValidation.Run(context, chosen, candidates, cancel);
        Timing(context, "cv", clock);
    }

    static void Timing(StudyContext context, string level, Stopwatch clock)
    {
        var existing = context.Store.Results(context.Spec.Name).Where(r => r.Level == "timing" && r.Group != level).ToList();
        existing.Add(new ResultRecord(context.Spec.Name, "timing", "level", level, "", "", "wall_seconds", clock.Elapsed.TotalSeconds, null, null, 0,
            context.Cache is null ? "activation cache off" : $"activation cache on: {context.Cache.Hits} rows reused, {context.Cache.Misses} computed, {context.Cache.Bytes / 1e6:0} MB" +
                (context.Cache.Disk is { } disk ? $"; on disk: {disk.Reads} rows read, {disk.Writes} written, {disk.Rejected} rejected, {disk.Size() / 1e6:0} MB in {disk.Folder}" : "")));
        context.Store.ReplaceResults(context.Spec.Name, "timing", existing);
    }
}
