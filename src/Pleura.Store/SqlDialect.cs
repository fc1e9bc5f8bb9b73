namespace Pleura.Store;

/// <summary>
/// What differs between the databases the store speaks to; everything else (tables, queries, upserts with
/// <c>INSERT ... ON CONFLICT</c>, <c>UPDATE ... RETURNING</c>) is the same SQL on SQLite and PostgreSQL.
/// </summary>
/// <param name="Name">For messages: "SQLite" or "PostgreSQL".</param>
/// <param name="SchemaLock">Run first in the schema transaction so concurrent openers create the tables one at a time
/// (PostgreSQL's CREATE TABLE IF NOT EXISTS races otherwise; SQLite serialises writers by itself).</param>
/// <param name="SkipLocked">Appended to the sub-select that picks the next trial: rows another transaction is claiming
/// are passed over rather than waited for.</param>
public sealed record SqlDialect(string Name, string SchemaLock, string SkipLocked)
{
    public static readonly SqlDialect Sqlite = new("SQLite", "", "");
    public static readonly SqlDialect PostgreSql = new("PostgreSQL", "SELECT pg_advisory_xact_lock(741320)", " FOR UPDATE SKIP LOCKED");
}
