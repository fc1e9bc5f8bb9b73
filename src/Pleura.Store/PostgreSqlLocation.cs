using System.Text.RegularExpressions;

namespace Pleura.Store;

/// <summary>PostgreSQL store locations: libpq-style URIs (<c>postgresql://user:pass@host:port/db?host=/socket/dir</c>) or Npgsql connection strings (<c>Host=...;Database=...</c>).</summary>
public static partial class PostgreSqlLocation
{
    public static bool IsPostgreSql(string store) =>
        store.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || store.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
        HostKey().IsMatch(store);

    /// <summary>A URI turned into an Npgsql connection string; a connection string is returned as it is.</summary>
    public static string ToConnectionString(string store)
    {
        if (!store.Contains("://", StringComparison.Ordinal)) return store;
        var uri = new Uri(store);
        var parts = new List<string>();
        void Add(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value)) parts.Add($"{key}={value.Replace(";", "", StringComparison.Ordinal)}");
        }
        var query = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => Uri.UnescapeDataString(p[0]).ToLowerInvariant(), p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "");
        // A socket folder given as ?host=/path wins over an empty host, as in libpq.
        Add("Host", query.Remove("host", out var socketHost) ? socketHost : uri.Host);
        if (!uri.IsDefaultPort && uri.Port > 0) Add("Port", uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        else if (query.Remove("port", out var port)) Add("Port", port);
        var user = uri.UserInfo.Split(':', 2);
        Add("Username", Uri.UnescapeDataString(user[0]));
        if (user.Length > 1) Add("Password", Uri.UnescapeDataString(user[1]));
        Add("Database", Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')));
        foreach (var (key, value) in query) Add(key == "sslmode" ? "SSL Mode" : key, value);
        return string.Join(';', parts);
    }

    /// <summary>The location with its password hidden, for messages.</summary>
    public static string Redact(string store) => PasswordInUri().Replace(PasswordKey().Replace(store, "${key}=***"), "://${user}:***@");

    [GeneratedRegex(@"(^|;)\s*(host|server)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex HostKey();

    [GeneratedRegex(@"(?<key>password|pwd)\s*=[^;]*", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordKey();

    [GeneratedRegex(@"://(?<user>[^:/@]*):[^@/]*@")]
    private static partial Regex PasswordInUri();
}
