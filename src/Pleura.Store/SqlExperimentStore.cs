using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Pleura.Store;

/// <summary>
/// The experiment store over ADO.NET: <see cref="OpenSqlite"/> gives the default, one SQLite file in WAL mode (readers
/// never block the writer, a crash loses at most the trial in progress); <see cref="OpenPostgreSql"/> a PostgreSQL
/// database that many processes and cluster tasks share. The SQL is the same; <see cref="SqlDialect"/> holds what differs.
/// </summary>
public sealed class SqlExperimentStore : IExperimentStore
{
    readonly StoreConnections _connections;

    public SqlDialect Dialect { get; }
    /// <summary>Where the store lives, for messages: the file, or host:port/database (never the password).</summary>
    public string Location { get; }

    internal SqlExperimentStore(StoreConnections connections, SqlDialect dialect, string location)
    {
        _connections = connections;
        Dialect = dialect;
        Location = location;
        try
        {
            CreateAndMigrate();
        }
        catch
        {
            connections.Dispose();
            throw;
        }
    }

    /// <summary>The store's schema version; <see cref="CreateAndMigrate"/> brings older stores up to it, so every study.db still opens.</summary>
    public const int SchemaVersion = 2;

    public int Version => Query("SELECT version FROM schema_version", r => r.GetInt32(0)).FirstOrDefault();

    /// <summary>
    /// Creates the tables where missing and migrates, in one transaction. Version 1 (no version table) marked the
    /// combinations that go on only in the note ("top-k: ...", "chosen; ..."); version 2 has a <c>selected</c> column,
    /// filled from those notes for stores written before it.
    /// </summary>
    void CreateAndMigrate() => InTransaction((connection, tx) =>
    {
        if (Dialect.SchemaLock != "") Execute(connection, tx, Dialect.SchemaLock);
        foreach (var statement in Schema.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            Execute(connection, tx, statement);
        int version = Read(connection, tx, "SELECT version FROM schema_version", r => r.GetInt32(0)).FirstOrDefault();
        if (version >= SchemaVersion) return;
        if (version < 2)
        {
            if (!Columns(connection, tx, "results").Contains("selected")) Execute(connection, tx, "ALTER TABLE results ADD COLUMN selected INTEGER NOT NULL DEFAULT 0");
            Execute(connection, tx, "UPDATE results SET selected = 1 WHERE (level = '1' AND note LIKE 'top-k%') OR (level = '2' AND note LIKE 'chosen%')");
        }
        Execute(connection, tx, "DELETE FROM schema_version");
        Execute(connection, tx, "INSERT INTO schema_version (version) VALUES (@p0)", SchemaVersion);
    });

    public static SqlExperimentStore OpenSqlite(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
            pragma.ExecuteNonQuery();
        }
        return new SqlExperimentStore(new SharedConnection(connection), SqlDialect.Sqlite, Path.GetFullPath(path));
    }

    /// <summary>A PostgreSQL store (a <c>postgresql://</c> URI or an Npgsql connection string); tables are created on first use.</summary>
    public static SqlExperimentStore OpenPostgreSql(string connectionString)
    {
        var (source, location) = PostgreSqlConnections.Create(connectionString);
        return new SqlExperimentStore(source, SqlDialect.PostgreSql, location);
    }

    public static readonly IReadOnlyList<string> Tables = new[] { "studies", "trials", "metrics", "epochs", "results", "artefacts" };

    const string Schema = """
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
        CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)
        """;

    public void SaveStudy(string name, string specJson) =>
        Execute("INSERT INTO studies (name, spec, updated_utc) VALUES (@p0, @p1, @p2) ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_utc = excluded.updated_utc",
            name, specJson, Stamp(DateTime.UtcNow));

    public string? StudySpec(string name) => Query("SELECT spec FROM studies WHERE name = @p0", r => r.GetString(0), name).FirstOrDefault();

    const string TrialColumns = "hash, study, level, combination, roi, balancing, backbone, side, fold, config, status, worker, started_utc, finished_utc, seconds, checkpoint, error";

    public TrialRecord? Trial(string hash) => Query($"SELECT {TrialColumns} FROM trials WHERE hash = @p0", ReadTrial, hash).FirstOrDefault();

    public IReadOnlyList<TrialRecord> Trials(string study) => Query($"SELECT {TrialColumns} FROM trials WHERE study = @p0 ORDER BY level, combination, fold, side", ReadTrial, study);

    public void Enqueue(TrialRecord trial) =>
        Execute($"INSERT INTO trials ({TrialColumns}) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15, @p16) ON CONFLICT (hash) DO NOTHING",
            trial.Hash, trial.Study, trial.Level, trial.Combination, trial.Roi, trial.Balancing, trial.Backbone, trial.Side, trial.Fold, trial.ConfigJson, TrialStatus.Queued, "",
            null, null, 0.0, "", "");

    // One conditional UPDATE: under concurrent writers the row lock makes the second claimant re-read the row, see it
    // running, and update nothing.
    public bool TryClaim(string hash, string worker) =>
        Execute("UPDATE trials SET status = @p0, worker = @p1, started_utc = @p2, error = '' WHERE hash = @p3 AND status IN (@p4, @p5)",
            TrialStatus.Running, worker, Stamp(DateTime.UtcNow), hash, TrialStatus.Queued, TrialStatus.Failed) == 1;

    public TrialRecord? ClaimNext(string study, string worker)
    {
        var hash = Query("UPDATE trials SET status = @p0, worker = @p1, started_utc = @p2, error = '' " +
                         $"WHERE hash = (SELECT hash FROM trials WHERE study = @p3 AND status = @p4 ORDER BY level, hash LIMIT 1{Dialect.SkipLocked}) AND status = @p4 RETURNING hash",
            r => r.GetString(0), TrialStatus.Running, worker, Stamp(DateTime.UtcNow), study, TrialStatus.Queued).FirstOrDefault();
        return hash is null ? null : Trial(hash);
    }

    public int Requeue(string study, Func<string, bool> workerIsGone)
    {
        var stale = Trials(study).Where(t => t.Status == TrialStatus.Running && workerIsGone(t.Worker)).ToList();
        // The worker is part of the condition: a trial another worker claimed since it was read is left alone.
        return stale.Sum(t => Execute("UPDATE trials SET status = @p0, worker = '' WHERE hash = @p1 AND status = @p2 AND worker = @p3",
            TrialStatus.Queued, t.Hash, TrialStatus.Running, t.Worker));
    }

    public int Retry(IEnumerable<string> hashes) =>
        hashes.Sum(hash => Execute("UPDATE trials SET status = @p0, worker = '' WHERE hash = @p1 AND status = @p2", TrialStatus.Queued, hash, TrialStatus.Failed));

    public void Finish(string hash, double seconds, string checkpoint, IEnumerable<MetricRecord> metrics, IEnumerable<EpochLog> epochs)
    {
        var metricList = metrics.ToList();
        var epochList = epochs.ToList();
        // One transaction: a trial is either done with all its figures or not done at all (and can be written again).
        InTransaction((connection, tx) =>
        {
            Execute(connection, tx, "DELETE FROM metrics WHERE trial_hash = @p0", hash);
            Execute(connection, tx, "DELETE FROM epochs WHERE trial_hash = @p0", hash);
            // A metric undefined on its set (NaN: e.g. an AUC with one class present) is not a figure: it is left out, as
            // SQLite refuses NaN and PostgreSQL would store it, so both stores answer alike.
            foreach (var m in metricList.Where(m => !double.IsNaN(m.Value)))
                Execute(connection, tx, "INSERT INTO metrics (trial_hash, set_name, metric, value, n) VALUES (@p0, @p1, @p2, @p3, @p4)", hash, m.Set, m.Metric, m.Value, m.Count);
            foreach (var e in epochList)
                Execute(connection, tx, "INSERT INTO epochs (trial_hash, stage, epoch, lr, train_loss, val_loss, val_macro_mae, val_accuracy, seconds, resident_mb) " +
                                        "VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9)",
                    hash, e.Stage, e.Epoch, e.LearningRate, e.TrainLoss, e.ValidationLoss, e.ValidationMacroMae, e.ValidationAccuracy, e.Seconds, e.ResidentMb);
            Execute(connection, tx, "UPDATE trials SET status = @p0, finished_utc = @p1, seconds = @p2, checkpoint = @p3, error = '' WHERE hash = @p4",
                TrialStatus.Done, Stamp(DateTime.UtcNow), seconds, checkpoint, hash);
        });
    }

    public void Fail(string hash, string reason) =>
        Execute("UPDATE trials SET status = @p0, finished_utc = @p1, error = @p2 WHERE hash = @p3", TrialStatus.Failed, Stamp(DateTime.UtcNow), reason, hash);

    public IReadOnlyList<MetricRecord> Metrics(string study) => Query(
        "SELECT m.trial_hash, m.set_name, m.metric, m.value, m.n FROM metrics m JOIN trials t ON t.hash = m.trial_hash WHERE t.study = @p0",
        r => new MetricRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetDouble(3), r.GetInt32(4)), study);

    public IReadOnlyList<EpochLog> Epochs(string trialHash) => Query(
        "SELECT trial_hash, stage, epoch, lr, train_loss, val_loss, val_macro_mae, val_accuracy, seconds, resident_mb FROM epochs WHERE trial_hash = @p0 ORDER BY stage, epoch",
        r => new EpochLog(r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetDouble(3), r.GetDouble(4), r.GetDouble(5), r.GetDouble(6), r.GetDouble(7), r.GetDouble(8), r.GetDouble(9)),
        trialHash);

    public void ReplaceResults(string study, string level, IEnumerable<ResultRecord> results)
    {
        var rows = results.ToList();
        InTransaction((connection, tx) =>
        {
            Execute(connection, tx, "DELETE FROM results WHERE study = @p0 AND level = @p1", study, level);
            foreach (var r in rows.Where(r => !double.IsNaN(r.Value)))
                Execute(connection, tx, "INSERT INTO results (study, level, grouping, grp, side, comparison, metric, value, low, high, n, note, selected) " +
                                        "VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12)",
                    study, level, r.Grouping, r.Group, r.Side, r.Comparison, r.Metric, r.Value, r.Low, r.High, r.Count, r.Note, r.Selected ? 1 : 0);
        });
    }

    public IReadOnlyList<ResultRecord> Results(string study) => Query(
        "SELECT study, level, grouping, grp, side, comparison, metric, value, low, high, n, note, selected FROM results WHERE study = @p0",
        r => new ResultRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetDouble(7),
            r.IsDBNull(8) ? null : r.GetDouble(8), r.IsDBNull(9) ? null : r.GetDouble(9), r.GetInt32(10), r.GetString(11), r.GetInt32(12) != 0), study);

    public void AddArtefact(ArtefactRecord artefact) =>
        Execute("INSERT INTO artefacts (study, owner, kind, path) VALUES (@p0, @p1, @p2, @p3) ON CONFLICT (study, owner, kind) DO UPDATE SET path = excluded.path",
            artefact.Study, artefact.Owner, artefact.Kind, artefact.Path);

    public IReadOnlyList<ArtefactRecord> Artefacts(string study) =>
        Query("SELECT study, owner, kind, path FROM artefacts WHERE study = @p0", r => new ArtefactRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)), study);

    /// <summary>Every row of a table as values, for export (in a fixed order, so exports of equal stores are equal).</summary>
    public (IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Rows) Table(string table)
    {
        if (!Tables.Contains(table)) throw new ArgumentException($"unknown table {table}");
        return _connections.Use(connection =>
        {
            using var command = Command(connection, null, $"SELECT * FROM {table} ORDER BY 1, 2", Array.Empty<object?>());
            using var reader = command.ExecuteReader();
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
            var rows = new List<object?[]>();
            while (reader.Read())
                rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i)).ToArray());
            return ((IReadOnlyList<string>)columns, (IReadOnlyList<object?[]>)rows);
        });
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

    int Execute(string sql, params object?[] values) => _connections.Use(connection => Execute(connection, null, sql, values));

    List<T> Query<T>(string sql, Func<DbDataReader, T> read, params object?[] values) => _connections.Use(connection => Read(connection, null, sql, read, values));

    void InTransaction(Action<DbConnection, DbTransaction> work) => _connections.Use(connection =>
    {
        using var tx = connection.BeginTransaction();
        work(connection, tx);
        tx.Commit();
        return 0;
    });

    static int Execute(DbConnection connection, DbTransaction? tx, string sql, params object?[] values)
    {
        using var command = Command(connection, tx, sql, values);
        return command.ExecuteNonQuery();
    }

    static List<T> Read<T>(DbConnection connection, DbTransaction? tx, string sql, Func<DbDataReader, T> read, params object?[] values)
    {
        using var command = Command(connection, tx, sql, values);
        using var reader = command.ExecuteReader();
        var list = new List<T>();
        while (reader.Read()) list.Add(read(reader));
        return list;
    }

    static List<string> Columns(DbConnection connection, DbTransaction tx, string table)
    {
        using var command = Command(connection, tx, $"SELECT * FROM {table} LIMIT 0", Array.Empty<object?>());
        using var reader = command.ExecuteReader();
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
    }

    static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, object?[] values)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        for (int i = 0; i < values.Length; i++)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@p" + i;
            // An undefined bound (NaN) is stored as NULL.
            p.Value = values[i] is null or double.NaN ? DBNull.Value : values[i];
            command.Parameters.Add(p);
        }
        return command;
    }

    public void Dispose() => _connections.Dispose();
}
