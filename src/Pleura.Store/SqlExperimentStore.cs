using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Pleura.Store;

/// <summary>
/// The experiment store over any ADO.NET connection; <see cref="OpenSqlite"/> gives the default, one SQLite file in
/// WAL mode (readers never block the writer, a crash loses at most the trial in progress).
/// </summary>
public sealed class SqlExperimentStore : IExperimentStore
{
    readonly DbConnection _connection;
    readonly object _gate = new();

    public SqlExperimentStore(DbConnection connection)
    {
        _connection = connection;
        if (_connection.State != System.Data.ConnectionState.Open) _connection.Open();
        CreateSchema();
        Migrate();
    }

    /// <summary>The store's schema version; <see cref="Migrate"/> brings older files up to it, so every study.db still opens.</summary>
    public const int SchemaVersion = 2;

    public int Version => Query("SELECT version FROM schema_version", r => r.GetInt32(0)).FirstOrDefault();

    /// <summary>
    /// Version 1 (no version table) marked the combinations that go on only in the note ("top-k: ...", "chosen; ...");
    /// version 2 has a <c>selected</c> column, filled from those notes for stores written before it.
    /// </summary>
    void Migrate()
    {
        lock (_gate)
        {
            int version = Version;
            if (version >= SchemaVersion) return;
            using var tx = _connection.BeginTransaction();
            if (version < 2)
            {
                if (!Columns("results", tx).Contains("selected")) Execute("ALTER TABLE results ADD COLUMN selected INTEGER NOT NULL DEFAULT 0", tx);
                Execute("UPDATE results SET selected = 1 WHERE (level = '1' AND note LIKE 'top-k%') OR (level = '2' AND note LIKE 'chosen%')", tx);
            }
            Execute("DELETE FROM schema_version", tx);
            Execute("INSERT INTO schema_version (version) VALUES (@p0)", tx, SchemaVersion);
            tx.Commit();
        }
    }

    public static SqlExperimentStore OpenSqlite(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;";
            pragma.ExecuteNonQuery();
        }
        return new SqlExperimentStore(connection);
    }

    public static readonly IReadOnlyList<string> Tables = new[] { "studies", "trials", "metrics", "epochs", "results", "artefacts" };

    void CreateSchema() => Execute("""
        CREATE TABLE IF NOT EXISTS studies (name VARCHAR(200) PRIMARY KEY, spec TEXT NOT NULL, updated_utc VARCHAR(40) NOT NULL);
        CREATE TABLE IF NOT EXISTS trials (
            hash VARCHAR(64) PRIMARY KEY, study VARCHAR(200) NOT NULL, level INTEGER NOT NULL, combination VARCHAR(200) NOT NULL,
            roi VARCHAR(20) NOT NULL, balancing VARCHAR(20) NOT NULL, backbone VARCHAR(50) NOT NULL, side VARCHAR(10) NOT NULL,
            fold INTEGER NOT NULL, config TEXT NOT NULL, status VARCHAR(10) NOT NULL, worker VARCHAR(200) NOT NULL,
            started_utc VARCHAR(40), finished_utc VARCHAR(40), seconds DOUBLE PRECISION NOT NULL, checkpoint TEXT NOT NULL, error TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS metrics (trial_hash VARCHAR(64) NOT NULL, set_name VARCHAR(40) NOT NULL, metric VARCHAR(60) NOT NULL,
            value DOUBLE PRECISION NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (trial_hash, set_name, metric));
        CREATE TABLE IF NOT EXISTS epochs (trial_hash VARCHAR(64) NOT NULL, stage INTEGER NOT NULL, epoch INTEGER NOT NULL, lr DOUBLE PRECISION NOT NULL,
            train_loss DOUBLE PRECISION NOT NULL, val_loss DOUBLE PRECISION NOT NULL, val_macro_mae DOUBLE PRECISION NOT NULL,
            val_accuracy DOUBLE PRECISION NOT NULL, seconds DOUBLE PRECISION NOT NULL, resident_mb DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (trial_hash, stage, epoch));
        CREATE TABLE IF NOT EXISTS results (study VARCHAR(200) NOT NULL, level VARCHAR(20) NOT NULL, grouping VARCHAR(60) NOT NULL, grp VARCHAR(100) NOT NULL,
            side VARCHAR(10) NOT NULL, comparison VARCHAR(60) NOT NULL, metric VARCHAR(60) NOT NULL, value DOUBLE PRECISION NOT NULL,
            low DOUBLE PRECISION, high DOUBLE PRECISION, n INTEGER NOT NULL, note TEXT NOT NULL, selected INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS artefacts (study VARCHAR(200) NOT NULL, owner VARCHAR(200) NOT NULL, kind VARCHAR(60) NOT NULL, path TEXT NOT NULL,
            PRIMARY KEY (study, owner, kind));
        CREATE INDEX IF NOT EXISTS trials_study ON trials (study);
        CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
        """);

    public void SaveStudy(string name, string specJson)
    {
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            Execute("DELETE FROM studies WHERE name = @p0", tx, name);
            Execute("INSERT INTO studies (name, spec, updated_utc) VALUES (@p0, @p1, @p2)", tx, name, specJson, Stamp(DateTime.UtcNow));
            tx.Commit();
        }
    }

    public string? StudySpec(string name) => Query("SELECT spec FROM studies WHERE name = @p0", r => r.GetString(0), name).FirstOrDefault();

    const string TrialColumns = "hash, study, level, combination, roi, balancing, backbone, side, fold, config, status, worker, started_utc, finished_utc, seconds, checkpoint, error";

    public TrialRecord? Trial(string hash) => Query($"SELECT {TrialColumns} FROM trials WHERE hash = @p0", ReadTrial, hash).FirstOrDefault();

    public IReadOnlyList<TrialRecord> Trials(string study) => Query($"SELECT {TrialColumns} FROM trials WHERE study = @p0 ORDER BY level, combination, fold, side", ReadTrial, study);

    public void Enqueue(TrialRecord trial)
    {
        lock (_gate)
        {
            if (Trial(trial.Hash) is not null) return;
            Execute($"INSERT INTO trials ({TrialColumns}) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15, @p16)", null,
                trial.Hash, trial.Study, trial.Level, trial.Combination, trial.Roi, trial.Balancing, trial.Backbone, trial.Side, trial.Fold, trial.ConfigJson, TrialStatus.Queued, "",
                null, null, 0.0, "", "");
        }
    }

    public bool TryClaim(string hash, string worker)
    {
        lock (_gate)
            return Execute("UPDATE trials SET status = @p0, worker = @p1, started_utc = @p2, error = '' WHERE hash = @p3 AND status IN (@p4, @p5)", null,
                TrialStatus.Running, worker, Stamp(DateTime.UtcNow), hash, TrialStatus.Queued, TrialStatus.Failed) == 1;
    }

    public int Requeue(string study, Func<string, bool> workerIsGone)
    {
        var stale = Trials(study).Where(t => t.Status == TrialStatus.Running && workerIsGone(t.Worker)).ToList();
        lock (_gate)
            foreach (var t in stale) Execute("UPDATE trials SET status = @p0, worker = '' WHERE hash = @p1 AND status = @p2", null, TrialStatus.Queued, t.Hash, TrialStatus.Running);
        return stale.Count;
    }

    public void Finish(string hash, double seconds, string checkpoint, IEnumerable<MetricRecord> metrics, IEnumerable<EpochLog> epochs)
    {
        lock (_gate)
        {
            // One transaction: a trial is either done with all its figures or not done at all.
            using var tx = _connection.BeginTransaction();
            Execute("DELETE FROM metrics WHERE trial_hash = @p0", tx, hash);
            Execute("DELETE FROM epochs WHERE trial_hash = @p0", tx, hash);
            foreach (var m in metrics)
                Execute("INSERT INTO metrics (trial_hash, set_name, metric, value, n) VALUES (@p0, @p1, @p2, @p3, @p4)", tx, hash, m.Set, m.Metric, m.Value, m.Count);
            foreach (var e in epochs)
                Execute("INSERT INTO epochs (trial_hash, stage, epoch, lr, train_loss, val_loss, val_macro_mae, val_accuracy, seconds, resident_mb) " +
                        "VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9)", tx,
                    hash, e.Stage, e.Epoch, e.LearningRate, e.TrainLoss, e.ValidationLoss, e.ValidationMacroMae, e.ValidationAccuracy, e.Seconds, e.ResidentMb);
            Execute("UPDATE trials SET status = @p0, finished_utc = @p1, seconds = @p2, checkpoint = @p3, error = '' WHERE hash = @p4", tx,
                TrialStatus.Done, Stamp(DateTime.UtcNow), seconds, checkpoint, hash);
            tx.Commit();
        }
    }

    public void Fail(string hash, string reason)
    {
        lock (_gate) Execute("UPDATE trials SET status = @p0, finished_utc = @p1, error = @p2 WHERE hash = @p3", null, TrialStatus.Failed, Stamp(DateTime.UtcNow), reason, hash);
    }

    public IReadOnlyList<MetricRecord> Metrics(string study) => Query(
        "SELECT m.trial_hash, m.set_name, m.metric, m.value, m.n FROM metrics m JOIN trials t ON t.hash = m.trial_hash WHERE t.study = @p0",
        r => new MetricRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetDouble(3), r.GetInt32(4)), study);

    public IReadOnlyList<EpochLog> Epochs(string trialHash) => Query(
        "SELECT trial_hash, stage, epoch, lr, train_loss, val_loss, val_macro_mae, val_accuracy, seconds, resident_mb FROM epochs WHERE trial_hash = @p0 ORDER BY stage, epoch",
        r => new EpochLog(r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetDouble(3), r.GetDouble(4), r.GetDouble(5), r.GetDouble(6), r.GetDouble(7), r.GetDouble(8), r.GetDouble(9)),
        trialHash);

    public void ReplaceResults(string study, string level, IEnumerable<ResultRecord> results)
    {
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            Execute("DELETE FROM results WHERE study = @p0 AND level = @p1", tx, study, level);
            foreach (var r in results)
                Execute("INSERT INTO results (study, level, grouping, grp, side, comparison, metric, value, low, high, n, note, selected) " +
                        "VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12)", tx,
                    study, level, r.Grouping, r.Group, r.Side, r.Comparison, r.Metric, r.Value, r.Low, r.High, r.Count, r.Note, r.Selected ? 1 : 0);
            tx.Commit();
        }
    }

    public IReadOnlyList<ResultRecord> Results(string study) => Query(
        "SELECT study, level, grouping, grp, side, comparison, metric, value, low, high, n, note, selected FROM results WHERE study = @p0",
        r => new ResultRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetDouble(7),
            r.IsDBNull(8) ? null : r.GetDouble(8), r.IsDBNull(9) ? null : r.GetDouble(9), r.GetInt32(10), r.GetString(11), r.GetInt32(12) != 0), study);

    public void AddArtefact(ArtefactRecord artefact)
    {
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            Execute("DELETE FROM artefacts WHERE study = @p0 AND owner = @p1 AND kind = @p2", tx, artefact.Study, artefact.Owner, artefact.Kind);
            Execute("INSERT INTO artefacts (study, owner, kind, path) VALUES (@p0, @p1, @p2, @p3)", tx, artefact.Study, artefact.Owner, artefact.Kind, artefact.Path);
            tx.Commit();
        }
    }

    public IReadOnlyList<ArtefactRecord> Artefacts(string study) =>
        Query("SELECT study, owner, kind, path FROM artefacts WHERE study = @p0", r => new ArtefactRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)), study);

    /// <summary>Every row of a table as text cells, for export.</summary>
    public (IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Rows) Table(string table)
    {
        if (!Tables.Contains(table)) throw new ArgumentException($"unknown table {table}");
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table}";
            using var reader = command.ExecuteReader();
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
            var rows = new List<object?[]>();
            while (reader.Read())
                rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i)).ToArray());
            return (columns, rows);
        }
    }

    static TrialRecord ReadTrial(DbDataReader r) => new()
    {
        Hash = r.GetString(0), Study = r.GetString(1), Level = r.GetInt32(2), Combination = r.GetString(3), Roi = r.GetString(4),
        Balancing = r.GetString(5), Backbone = r.GetString(6), Side = r.GetString(7), Fold = r.GetInt32(8), ConfigJson = r.GetString(9),
        Status = r.GetString(10), Worker = r.GetString(11), StartedUtc = ParseStamp(r, 12), FinishedUtc = ParseStamp(r, 13),
        Seconds = r.GetDouble(14), Checkpoint = r.GetString(15), Error = r.GetString(16),
    };

    static string Stamp(DateTime t) => t.ToString("O", CultureInfo.InvariantCulture);

    static DateTime? ParseStamp(DbDataReader r, int i) =>
        r.IsDBNull(i) ? null : DateTime.Parse(r.GetString(i), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    int Execute(string sql, DbTransaction? tx = null, params object?[] values)
    {
        using var command = Command(sql, values);
        command.Transaction = tx;
        return command.ExecuteNonQuery();
    }

    void Execute(string sql) { lock (_gate) Execute(sql, null); }

    List<string> Columns(string table, DbTransaction tx)
    {
        using var command = Command($"SELECT * FROM {table} LIMIT 0", Array.Empty<object?>());
        command.Transaction = tx;
        using var reader = command.ExecuteReader();
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
    }

    List<T> Query<T>(string sql, Func<DbDataReader, T> read, params object?[] values)
    {
        lock (_gate)
        {
            using var command = Command(sql, values);
            using var reader = command.ExecuteReader();
            var list = new List<T>();
            while (reader.Read()) list.Add(read(reader));
            return list;
        }
    }

    DbCommand Command(string sql, object?[] values)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        for (int i = 0; i < values.Length; i++)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@p" + i;
            p.Value = values[i] ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        return command;
    }

    public void Dispose() => _connection.Dispose();
}
