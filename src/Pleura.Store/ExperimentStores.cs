namespace Pleura.Store;

/// <summary>Opens a study's store from where the study file or <c>--store</c> says it is.</summary>
public static class ExperimentStores
{
    /// <summary>
    /// <paramref name="location"/>: empty for the default SQLite file, a <c>postgresql://</c> URI or <c>Host=...</c>
    /// connection string for PostgreSQL, or another SQLite file's path.
    /// </summary>
    public static SqlExperimentStore Open(string? location, string defaultSqlitePath) =>
        string.IsNullOrWhiteSpace(location) ? SqlExperimentStore.OpenSqlite(defaultSqlitePath)
        : PostgreSqlLocation.IsPostgreSql(location) ? SqlExperimentStore.OpenPostgreSql(location)
        : SqlExperimentStore.OpenSqlite(location);

    /// <summary>Whether a store exists there already (asking must not create one: a study that never ran has none).</summary>
    public static bool Exists(string? location, string defaultSqlitePath) =>
        !string.IsNullOrWhiteSpace(location) && PostgreSqlLocation.IsPostgreSql(location) || File.Exists(string.IsNullOrWhiteSpace(location) ? defaultSqlitePath : location);

    /// <summary>The location for messages, with any password hidden.</summary>
    public static string Describe(string? location, string defaultSqlitePath) =>
        string.IsNullOrWhiteSpace(location) ? defaultSqlitePath : PostgreSqlLocation.Redact(location);
}
