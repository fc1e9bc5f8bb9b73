using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Pleura.Tests.Cluster;

/// <summary>
/// A throwaway PostgreSQL server for the store's tests: initdb in a temporary folder, started on a free port with its
/// socket in that folder, stopped and deleted at the end. PostgreSQL refuses to run as root, so as root it runs as the
/// 'postgres' user (runuser) with the folder handed to it. <see cref="Unavailable"/> says why there is none.
/// </summary>
public sealed class PostgreSqlServer : IDisposable
{
    readonly TempFolder _folder = new();
    readonly string? _bin;
    readonly string[] _asUser = Array.Empty<string>();
    int _databases;

    public string? Unavailable { get; }
    public int Port { get; }
    string Data => Path.Combine(_folder.Path, "pg", "data");

    public PostgreSqlServer()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (_bin is null) { Unavailable = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; apt-get install postgresql)"; return; }
        string pgFolder = Path.Combine(_folder.Path, "pg");
        Directory.CreateDirectory(pgFolder);
        if (Environment.UserName == "root")
        {
            if (Run("id", "-u", "postgres").Code != 0) { Unavailable = "running as root and there is no 'postgres' user to run PostgreSQL as"; return; }
            Run("chown", "-R", "postgres", pgFolder);
            _asUser = new[] { "runuser", "-u", "postgres", "--" };
        }
        var init = Run(_asUser.Concat(new[] { Path.Combine(_bin, "initdb"), "-D", Data, "-A", "trust", "-U", "pleura", "--no-sync", "-E", "UTF8" }).ToArray());
        if (init.Code != 0) { Unavailable = $"initdb failed: {init.Output}"; return; }
        Port = FreePort();
        var start = Run(_asUser.Concat(new[] { Path.Combine(_bin, "pg_ctl"), "-D", Data, "-l", Path.Combine(pgFolder, "log"), "-w", "-t", "60", "-o",
            $"-p {Port} -k {pgFolder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start" }).ToArray());
        if (start.Code != 0) Unavailable = $"pg_ctl start failed: {start.Output} {(File.Exists(Path.Combine(pgFolder, "log")) ? File.ReadAllText(Path.Combine(pgFolder, "log")) : "")}";
    }

    /// <summary>A new empty database on the server; its connection string.</summary>
    public string NewDatabase()
    {
        string name = $"pleura{Interlocked.Increment(ref _databases)}";
        using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            command.ExecuteNonQuery();
        }
        return ConnectionString(name);
    }

    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username=pleura;Database={database}";

    public static int FreePort() => TestProcesses.FreePort();

    static (int Code, string Output) Run(params string[] command) => TestProcesses.Run(command[0], command[1..]);

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        if (Unavailable is null && _bin is not null)
            Run(_asUser.Concat(new[] { Path.Combine(_bin, "pg_ctl"), "-D", Data, "-m", "immediate", "-w", "stop" }).ToArray());
        _folder.Dispose();
    }
}
