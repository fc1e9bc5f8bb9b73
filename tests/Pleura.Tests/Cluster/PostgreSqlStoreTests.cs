using System.Collections.Concurrent;
using Pleura.Phantoms;
using Pleura.Store;
using Pleura.Tests.Cli;
using Xunit.Abstractions;

namespace Pleura.Tests.Cluster;

/// <summary>One PostgreSQL server for the class's tests (initdb and start take a few seconds).</summary>
public sealed class PostgreSqlServerFixture : IDisposable
{
    public PostgreSqlServer Server { get; } = new();
    public void Dispose() => Server.Dispose();
}

/// <summary>The experiment store on a real PostgreSQL: the same behaviour as SQLite, claims safe under many writers.</summary>
public class PostgreSqlStoreTests(PostgreSqlServerFixture fixture, ITestOutputHelper output) : IClassFixture<PostgreSqlServerFixture>
{
    string Database()
    {
        Skip.If(fixture.Server.Unavailable is not null, $"no PostgreSQL server for this test: {fixture.Server.Unavailable}");
        return fixture.Server.NewDatabase();
    }

    static TrialRecord Synthetic(string study, int i) => new()
    {
        Hash = $"{study}-{i:D4}", Study = study, Level = 1 + i % 3, Combination = $"c{i % 7}", Roi = "none", Balancing = "under", Backbone = "resnet10-w16",
        Side = i % 2 == 0 ? "left" : "right", Fold = 1,
    };

    /// <summary>16 workers, each with its own store (own connections, opened at once, so the schema is created concurrently too), claim until none is left.</summary>
    static void SixteenWorkersClaimEachTrialOnce(Func<SqlExperimentStore> open)
    {
        const int trials = 500, workers = 16;
        using (var store = open())
            foreach (var i in Enumerable.Range(0, trials)) store.Enqueue(Synthetic("grid", i));
        var claims = new ConcurrentBag<(string Hash, string Worker)>();
        var start = new Barrier(workers);
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            start.SignalAndWait();
            using var store = open();
            while (store.ClaimNext("grid", $"worker{w}") is { } claimed)
            {
                Assert.Equal(TrialStatus.Running, claimed.Status);
                Assert.Equal($"worker{w}", claimed.Worker);
                claims.Add((claimed.Hash, $"worker{w}"));
            }
        });
        Assert.Equal(trials, claims.Count);
        Assert.Equal(trials, claims.Select(c => c.Hash).Distinct().Count());
        Assert.True(claims.Select(c => c.Worker).Distinct().Count() > 1, "the claims were shared among the workers");
        using var check = open();
        var rows = check.Trials("grid");
        Assert.All(rows, t => Assert.Equal(claims.Single(c => c.Hash == t.Hash).Worker, t.Worker));
        // Level order: no trial of level 2 was claimed while level 1 had one queued (each worker's claims come level by level).
        Assert.Null(check.ClaimNext("grid", "late"));

        // Claiming one trial by its hash from 16 workers at once: one wins.
        check.Enqueue(Synthetic("one", 0));
        int winners = 0;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            using var store = open();
            if (store.TryClaim("one-0000", $"w{w}")) Interlocked.Increment(ref winners);
        });
        Assert.Equal(1, winners);
    }

    [SkippableFact]
    public void SixteenWorkersClaimFiveHundredTrialsFromPostgreSqlEachExactlyOnce()
    {
        var connection = Database();
        SixteenWorkersClaimEachTrialOnce(() => SqlExperimentStore.OpenPostgreSql(connection));
    }

    [Fact]
    public void SixteenWorkersClaimFiveHundredTrialsFromOneSqliteFileEachExactlyOnce()
    {
        using var dir = new TempFolder();
        SixteenWorkersClaimEachTrialOnce(() => SqlExperimentStore.OpenSqlite(dir.File("shared.db")));
    }

    [SkippableFact]
    public void TheStoreKeepsWhatSqliteKeepsAndIsVersioned()
    {
        var connection = Database();
        // As a URI, the form a study file names it in.
        var uri = $"postgresql://pleura@127.0.0.1:{fixture.Server.Port}/{connection.Split("Database=")[1]}";
        using (var store = (SqlExperimentStore)ExperimentStores.Open(uri, "unused.db"))
        {
            Assert.Equal(SqlDialect.PostgreSql, store.Dialect);
            Assert.Equal(SqlExperimentStore.SchemaVersion, store.Version);
            store.SaveStudy("s", "{\"a\":1}");
            store.SaveStudy("s", "{\"a\":2}");
            var trial = Synthetic("s", 1);
            store.Enqueue(trial);
            store.Enqueue(trial with { Combination = "changed" });   // a second enqueue keeps the first
            Assert.True(store.TryClaim(trial.Hash, "w"));
            Assert.False(store.TryClaim(trial.Hash, "w2"));
            store.Finish(trial.Hash, 12.5, "/x/model.safetensors", new[] { new MetricRecord(trial.Hash, "test", "macro_mae", 0.25, 40) },
                new[] { new EpochLog(trial.Hash, 1, 1, 0.01, 1.2, 1.3, 0.5, 0.6, 2.0, 300) });
            store.ReplaceResults("s", "1", new[] { new ResultRecord("s", "1", "combination", "c1", "mean", "r1", "macro_mae", 0.25, null, 0.3, 1, "top-k", true) });
            store.AddArtefact(new ArtefactRecord("s", "o", "k", "/a"));
            store.AddArtefact(new ArtefactRecord("s", "o", "k", "/b"));
        }
        using var again = SqlExperimentStore.OpenPostgreSql(connection);
        Assert.Equal("{\"a\":2}", again.StudySpec("s"));
        var done = again.Trial(Synthetic("s", 1).Hash)!;
        Assert.Equal((TrialStatus.Done, "c1", 12.5, "w"), (done.Status, done.Combination, done.Seconds, done.Worker));
        Assert.NotNull(done.FinishedUtc);
        Assert.Equal(0.25, Assert.Single(again.Metrics("s")).Value);
        Assert.Equal(300, Assert.Single(again.Epochs(done.Hash)).ResidentMb);
        var result = Assert.Single(again.Results("s"));
        Assert.Equal((null, 0.3, true), (result.Low, result.High, result.Selected));
        Assert.Equal("/b", Assert.Single(again.Artefacts("s")).Path);
        Assert.Equal(1, again.Requeue("s", _ => true) + again.Retry(new[] { done.Hash }) + 1);   // done: neither requeued nor retried
    }

    [SkippableFact]
    public void AStudyRunsOnPostgreSqlAndItsStatusExportAndReportComeFromThere()
    {
        var connection = Database();
        using var dir = new TempFolder();
        var file = SlurmExecutorTests.WriteStudy(dir.Path, extra: $"\nstore: \"{connection}\"\n");
        Assert.Equal(0, CliRunner.Run("study", "run", file, "--threads", "1", "--report", "false"));
        // The same study on the default SQLite file, for comparison.
        Assert.Equal(0, CliRunner.Run("study", "run", file, "--folder", dir.File("sqlite"), "--store", dir.File("sqlite/study.db"), "--threads", "1", "--report", "false"));
        Assert.False(File.Exists(dir.File("slurm-phantoms/study.db")), "the PostgreSQL study wrote no SQLite store");

        var (code, text) = CliRunner.RunCaptured("study", "status", file);
        Assert.Equal(0, code);
        Assert.Contains("chosen:", text, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("study", "export", file, "--out", dir.File("pg-export")));
        Assert.Equal(0, CliRunner.Run("study", "export", file, "--store", dir.File("sqlite/study.db"), "--out", dir.File("sqlite-export")));
        foreach (var table in new[] { "trials", "metrics", "results" })
        {
            var pg = File.ReadAllLines(dir.File($"pg-export/{table}.csv"));
            var sqlite = File.ReadAllLines(dir.File($"sqlite-export/{table}.csv"));
            Assert.Equal(sqlite[0], pg[0]);   // the same columns
            Assert.Equal(sqlite.Length, pg.Length);
        }
        // The trained figures are the same wherever they were stored.
        static IEnumerable<string> Metrics(string csv) => File.ReadAllLines(csv).Skip(1).Order(StringComparer.Ordinal);
        Assert.Equal(Metrics(dir.File("sqlite-export/metrics.csv")), Metrics(dir.File("pg-export/metrics.csv")));
        Assert.Equal(0, CliRunner.Run("study", "report", file, "--out", dir.File("report")));
        Assert.Contains("resnet10-w16", File.ReadAllText(dir.File("report/report.html")), StringComparison.Ordinal);

        // `study trial` on this store: a done trial is not trained again; an unknown one, or no choice of trial, is a usage error.
        string doneHash = File.ReadAllLines(dir.File("pg-export/trials.csv"))[1].Split(',')[0];
        (code, text) = CliRunner.RunCaptured("study", "trial", file, "--trial", doneHash);
        Assert.Equal((0, true), (code, text.Contains("nothing to do", StringComparison.Ordinal)));
        (code, text) = CliRunner.RunCaptured("study", "trial", file, "--trial", "nope");
        Assert.Equal((2, true), (code, text.Contains("has no trial nope", StringComparison.Ordinal)));
        Assert.Equal(2, CliRunner.Run("study", "trial", file));
    }

    [Fact]
    public void AnUnreachableDatabaseIsNamedWithTheReasonAndNoStackTrace()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("study.yaml"), "name: s\nmanifest: data/manifest.csv\n");
        int port = PostgreSqlServer.FreePort();
        var delays = PostgreSqlConnections.RetryDelays;
        PostgreSqlConnections.RetryDelays = new[] { TimeSpan.FromMilliseconds(50) };
        try
        {
            var (code, text) = CliRunner.RunCaptured("study", "export", dir.File("study.yaml"), "--out", dir.File("out"),
                "--store", $"postgresql://pleura:secret@127.0.0.1:{port}/nowhere");
            output.WriteLine(text);
            Assert.Equal(1, code);
            Assert.Contains($"127.0.0.1:{port}", text, StringComparison.Ordinal);
            Assert.Contains("refused", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        }
        finally { PostgreSqlConnections.RetryDelays = delays; }
    }
}
