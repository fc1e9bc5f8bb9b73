using System.Data.Common;

namespace Pleura.Store;

/// <summary>How the store reaches its database: every operation borrows a connection and gives it back.</summary>
internal abstract class StoreConnections : IDisposable
{
    public abstract T Use<T>(Func<DbConnection, T> work);
    public abstract void Dispose();
}

/// <summary>One connection kept open and used by one operation at a time (SQLite: a file, in this process).</summary>
internal sealed class SharedConnection(DbConnection connection) : StoreConnections
{
    readonly object _gate = new();

    public override T Use<T>(Func<DbConnection, T> work)
    {
        lock (_gate) return work(connection);
    }

    public override void Dispose() => connection.Dispose();
}
