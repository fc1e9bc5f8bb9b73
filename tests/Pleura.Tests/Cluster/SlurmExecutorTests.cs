using System.Text.Json;
using Pleura.Cluster;
using Pleura.Phantoms;
using Pleura.Store;
using Pleura.Study;
using Pleura.Tests.Cli;
using Pleura.Training;
using Xunit.Abstractions;

namespace Pleura.Tests.Cluster;

/// <summary>One Slurm cluster for the class's tests.</summary>
public sealed class SlurmClusterFixture : IDisposable
{
    public SlurmCluster Cluster { get; } = new();
    public void Dispose() => Cluster.Dispose();
}

/// <summary>The Slurm executor on a real single-node Slurm: the same trials as the local executor, idempotent, a killed task resumed.</summary>
public class SlurmExecutorTests(SlurmClusterFixture fixture, PostgreSqlServerFixture postgres, ITestOutputHelper output)
    : IClassFixture<SlurmClusterFixture>, IClassFixture<PostgreSqlServerFixture>
{
    void NeedsSlurm() => Skip.If(fixture.Cluster.Unavailable is not null, $"no Slurm cluster for this test: {fixture.Cluster.Unavailable}");

    /// <summary>A reduced phantom study: 200 images of 32x32, two combinations, one selection fold, one task core.</summary>
    internal static string WriteStudy(string folder, string training = "stage1_epochs: 1\n  stage2_epochs: 1", string balancing = "[under, over]", string extra = "")
    {
        PhantomDataset.Generate(new PhantomOptions { Count = 200, Size = 32, Seed = 5 }, Path.Combine(folder, "data"));
        string path = Path.Combine(folder, "study.yaml");
        File.WriteAllText(path, $"""
            name: slurm-phantoms
            manifest: data/manifest.csv
            groups: [sex]
            grid:
              roi: [none]
              balancing: {balancing}
              backbones: [resnet10-w16]
            folds: 1
            top_k: 1
            training:
              image_size: 32
              input_channels: 1
              batch_size: 32
              {training}
              unfreeze_conv_layers: 5
            bootstrap: 50
            min_group_size: 5
            heatmaps: false
            slurm:
              cpus_per_task: 1
              memory: 1G
              time: "00:10:00"
            """ + extra);
        return path;
    }

    static Dictionary<string, double> TestMetrics(IExperimentStore store, string study) =>
        store.Metrics(study).Where(m => m.Set == "test").ToDictionary(m => $"{m.TrialHash} {m.Metric}", m => m.Value);

    [SkippableFact]
    public void AStudyRunThroughSlurmGivesTheLocalExecutorsResultsAndRunningItAgainTrainsNothing()
    {
        NeedsSlurm();
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path);
        var spec = StudySpec.Load(file);
        Assert.Equal(0, CliRunner.Run("study", "run", file, "--folder", dir.File("local"), "--threads", "1", "--report", "false"));
        var (code, text) = CliRunner.RunCaptured("study", "run", file, "--folder", dir.File("slurm"), "--executor", "slurm", "--max-parallel", "2");
        output.WriteLine(text);
        Assert.Equal(0, code);
        Assert.Contains("submitted Slurm job", text, StringComparison.Ordinal);

        using (var local = StudyRunner.OpenStore(dir.File("local")))
        using (var slurm = StudyRunner.OpenStore(dir.File("slurm")))
        {
            var trials = slurm.Trials(spec.Name);
            Assert.Equal(6, trials.Count);   // level 1: 2 combinations x 2 sides; level 3: the chosen one, both sides
            Assert.All(trials, t => Assert.Equal(TrialStatus.Done, t.Status));
            Assert.All(trials, t => Assert.StartsWith(SlurmExecutor.WorkerPrefix, t.Worker, StringComparison.Ordinal));
            Assert.Equal(TestMetrics(local, spec.Name), TestMetrics(slurm, spec.Name));
            static IEnumerable<(string, string, string, string, double)> Figures(IExperimentStore s, string study) =>
                s.Results(study).Where(r => r.Level is "1" or "2" or "3").Select(r => (r.Level, r.Group, r.Side + r.Comparison, r.Metric, r.Value)).Order();
            Assert.Equal(Figures(local, spec.Name), Figures(slurm, spec.Name));
            Assert.True(File.Exists(dir.File("slurm/report/report.html")));
        }

        // Again: everything is done, nothing is submitted, no trial is trained a second time.
        Dictionary<string, DateTime?> finished;
        using (var slurm = StudyRunner.OpenStore(dir.File("slurm"))) finished = slurm.Trials(spec.Name).ToDictionary(t => t.Hash, t => t.FinishedUtc);
        (code, text) = CliRunner.RunCaptured("study", "run", file, "--folder", dir.File("slurm"), "--executor", "slurm", "--report", "false");
        Assert.Equal(0, code);
        Assert.DoesNotContain("submitted Slurm job", text, StringComparison.Ordinal);
        using (var slurm = StudyRunner.OpenStore(dir.File("slurm")))
            Assert.All(slurm.Trials(spec.Name), t => Assert.Equal(finished[t.Hash], t.FinishedUtc));
    }

    [SkippableFact]
    public void ATaskCancelledMidTrainingHasItsTrialResumedByTheNextRound()
    {
        NeedsSlurm();
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path, "stage1_epochs: 2\n  stage2_epochs: 25\n  early_stopping_patience: 100", "[under]");
        var spec = StudySpec.Load(file);
        string folder = StudyRunner.DefaultFolder(file, spec);
        using var store = StudyRunner.OpenStore(folder);
        var executor = new SlurmExecutor(new SlurmOptions { StudyFile = file, Folder = folder, Poll = TimeSpan.FromSeconds(1) });
        var options = new StudyRunOptions { UpToLevel = 1, Executor = executor };
        using var context = StudyRunner.Open(spec, folder, store, options, output.WriteLine);

        // Watches the store: the first trial a task holds, once it has finished two epochs, has its task cancelled.
        (string Hash, string Worker, EpochRecord FirstEpoch)? cancelled = null;
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(() =>
        {
            using var watch = StudyRunner.OpenStore(folder);
            while (!stop.IsCancellationRequested)
            {
                foreach (var t in watch.Trials(spec.Name).Where(t => t.Status == TrialStatus.Running && t.Worker.StartsWith(SlurmExecutor.WorkerPrefix, StringComparison.Ordinal)))
                {
                    var state = ResumeState.Load(Path.Combine(context.TrialFolder(t.Hash), "work"));
                    if (state is null || state.History.Count < 2) continue;
                    var result = SlurmCluster.Run("scancel", t.Worker[SlurmExecutor.WorkerPrefix.Length..]);
                    Assert.Equal(0, result.Code);
                    cancelled = (t.Hash, t.Worker, state.History[0]);
                    return;
                }
                Thread.Sleep(50);
            }
        });
        StudyRunner.Run(context, options);
        stop.Cancel();
        watcher.GetAwaiter().GetResult();

        Assert.NotNull(cancelled);
        var trial = store.Trial(cancelled.Value.Hash)!;
        Assert.Equal(TrialStatus.Done, trial.Status);
        Assert.NotEqual(cancelled.Value.Worker, trial.Worker);   // finished by a task of the next round
        // Resumed, not restarted: the epoch trained before the cancel is in the finished trial's log as it was then.
        var first = store.Epochs(trial.Hash)[0];
        Assert.Equal((cancelled.Value.FirstEpoch.TrainLoss, cancelled.Value.FirstEpoch.Seconds), (first.TrainLoss, first.Seconds));
        Assert.Equal(27, store.Epochs(trial.Hash).Count);
        Assert.All(store.Trials(spec.Name), t => Assert.Equal(TrialStatus.Done, t.Status));
    }

    [SkippableFact]
    public void TasksShareAPostgreSqlStoreNamedWithStore()
    {
        NeedsSlurm();
        Skip.If(postgres.Server.Unavailable is not null, $"no PostgreSQL server for this test: {postgres.Server.Unavailable}");
        string connection = postgres.Server.NewDatabase();
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path);
        var spec = StudySpec.Load(file);
        var (code, text) = CliRunner.RunCaptured("study", "run", file, "--executor", "slurm", "--store", connection, "--up-to", "1", "--report", "false");
        output.WriteLine(text);
        Assert.Equal(0, code);
        Assert.False(File.Exists(Path.Combine(StudyRunner.DefaultFolder(file, spec), StudyRunner.StoreFile)), "no SQLite store was made beside the study");
        using var store = SqlExperimentStore.OpenPostgreSql(connection);
        var trials = store.Trials(spec.Name);
        Assert.Equal(4, trials.Count);
        Assert.All(trials, t => Assert.Equal((TrialStatus.Done, true), (t.Status, t.Worker.StartsWith(SlurmExecutor.WorkerPrefix, StringComparison.Ordinal))));
        Assert.Equal(4, TestMetrics(store, spec.Name).Keys.Select(k => k.Split(' ')[0]).Distinct().Count());
    }

    [SkippableFact]
    public void TwoSubmittersOfOneStudyTrainEachTrialOnce()
    {
        NeedsSlurm();
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path);
        var spec = StudySpec.Load(file);
        string folder = StudyRunner.DefaultFolder(file, spec);
        var options = new StudyRunOptions { UpToLevel = 1 };
        using (var first = StudyRunner.OpenStore(folder))
        using (StudyRunner.Open(spec, folder, first, options, _ => { })) { }   // the split exists before both start, as after any first run
        var submitters = Enumerable.Range(0, 2).Select(i => Task.Run(() =>
        {
            using var store = StudyRunner.OpenStore(folder);
            var mine = options with { Executor = new SlurmExecutor(new SlurmOptions { StudyFile = file, Folder = folder, Poll = TimeSpan.FromSeconds(1) }) };
            using var context = StudyRunner.Open(spec, folder, store, mine, m => output.WriteLine($"submitter {i}: {m}"));
            StudyRunner.Run(context, mine);
        })).ToArray();
        Task.WaitAll(submitters);

        using var check = StudyRunner.OpenStore(folder);
        var trials = check.Trials(spec.Name);
        Assert.Equal(4, trials.Count);
        Assert.All(trials, t => Assert.Equal(TrialStatus.Done, t.Status));
        // Every task logs the trial it trained; each trial appears in exactly one task's log.
        var trained = Directory.GetFiles(Path.Combine(folder, "slurm"), "*.log").SelectMany(File.ReadAllLines)
            .Where(l => l.Contains(" done in ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Equal(trials.Select(t => t.Hash).Order(), trained.Order());
    }

    [SkippableFact]
    public void NoSbatchOrNoControllerIsSaidPlainly()
    {
        NeedsSlurm();
        using var dir = new TempFolder();
        var file = WriteStudy(dir.Path);
        string conf = Environment.GetEnvironmentVariable("SLURM_CONF")!;
        string down = dir.File("down.conf");
        // The same cluster with its controller's port moved to one nothing listens on.
        File.WriteAllLines(down, File.ReadAllLines(conf).Select(l => l.StartsWith("SlurmctldPort=", StringComparison.Ordinal) ? $"SlurmctldPort={PostgreSqlServer.FreePort()}" : l)
            .Append("MessageTimeout=2"));
        Environment.SetEnvironmentVariable("SLURM_CONF", down);
        try
        {
            var (code, text) = CliRunner.RunCaptured("study", "run", file, "--executor", "slurm", "--report", "false");
            output.WriteLine(text);
            Assert.Equal(1, code);
            Assert.Contains("Slurm controller does not answer", text, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        }
        finally { Environment.SetEnvironmentVariable("SLURM_CONF", conf); }

        string path = Environment.GetEnvironmentVariable("PATH")!;
        Environment.SetEnvironmentVariable("PATH", dir.Path);
        try
        {
            var (code, text) = CliRunner.RunCaptured("study", "run", file, "--executor", "slurm", "--report", "false");
            output.WriteLine(text);
            Assert.Equal(1, code);
            Assert.Contains("sbatch not found", text, StringComparison.Ordinal);
        }
        finally { Environment.SetEnvironmentVariable("PATH", path); }
    }
}
