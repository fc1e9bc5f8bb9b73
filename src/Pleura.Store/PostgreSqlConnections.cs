using System.Data.Common;
using System.Net.Sockets;
using Npgsql;

namespace Pleura.Store;

/// <summary>
/// A pool of PostgreSQL connections: each operation takes one, so parallel workers in one process do not queue on a
/// lock, and a connection lost to a server restart or a network blip is replaced. An operation that fails because the
/// server cannot be reached is retried for about a minute (every operation is idempotent or one transaction), then
/// reported as an <see cref="IOException"/> naming the server and the reason.
/// </summary>
internal sealed class PostgreSqlConnections : StoreConnections
{
    readonly NpgsqlDataSource _source;
    readonly string _location;

    /// <summary>Delays between attempts while the server is unreachable; the test of the unreachable case shortens them.</summary>
    internal static IReadOnlyList<TimeSpan> RetryDelays { get; set; } =
        new[] { 1, 2, 4, 8, 15, 30 }.Select(s => TimeSpan.FromSeconds(s)).ToList();

    PostgreSqlConnections(NpgsqlDataSource source, string location)
    {
        _source = source;
        _location = location;
    }

    public static (PostgreSqlConnections Connections, string Location) Create(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(PostgreSqlLocation.ToConnectionString(connectionString));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"the store '{PostgreSqlLocation.Redact(connectionString)}' is not a PostgreSQL connection string: {e.Message}", e);
        }
        if (builder.Timeout == 15) builder.Timeout = 10;
        // Tasks of a cluster job reconnect often; a pool per process is plenty.
        builder.MaxPoolSize = Math.Min(builder.MaxPoolSize, 32);
        string location = $"PostgreSQL at {builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        return (new PostgreSqlConnections(NpgsqlDataSource.Create(builder), location), location);
    }

    public override T Use<T>(Func<DbConnection, T> work)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var connection = _source.OpenConnection();
                return work(connection);
            }
            catch (Exception e) when (Unreachable(e))
            {
                if (attempt >= RetryDelays.Count)
                    throw new IOException($"the study store ({_location}) cannot be reached: {Reason(e)}", e);
                Thread.Sleep(RetryDelays[attempt]);
            }
            catch (PostgresException e)
            {
                throw new IOException($"the study store ({_location}) refused the operation: {e.MessageText} (SQLSTATE {e.SqlState})", e);
            }
        }
    }

    /// <summary>The server is down, restarting or unreachable (not: a query it rejected).</summary>
    static bool Unreachable(Exception e) => e switch
    {
        PostgresException p => p.SqlState is "57P01" or "57P02" or "57P03" or "53300",   // shut down, crash, starting up, too many connections
        NpgsqlException n => n.IsTransient || n.InnerException is SocketException or IOException or TimeoutException,
        SocketException or TimeoutException => true,
        _ => false,
    };

    static string Reason(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException or PostgresException) return inner.Message;
        return e.Message;
    }

    public override void Dispose() => _source.Dispose();
}
