using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pleura.Study;

/// <summary>
/// A study file's problems in its author's words: the file, the key as written there, its line, and what is wrong,
/// instead of .NET type and member names and a line of the JSON the YAML was turned into.
/// </summary>
internal sealed partial class StudyFileProblems(string file, IReadOnlyDictionary<string, int> lines)
{
    public InvalidDataException At(string jsonPath, string message)
    {
        // The closest enclosing key that has a line (an unknown key has its own; a missing one has its parent's).
        string path = jsonPath;
        int line = 0;
        while (path.Length > 1 && !lines.TryGetValue(path, out line)) path = Parent(path);
        var key = jsonPath.TrimStart('$').TrimStart('.');
        var where = line > 0 ? $", line {line}" : "";
        return new InvalidDataException(key.Length > 0 ? $"{file}{where}, '{key}': {message}" : $"{file}{where}: {message}");
    }

    public InvalidDataException FromJson(JsonException e)
    {
        var path = e.Path ?? "$";
        var unknown = UnknownMember().Match(e.Message);
        if (unknown.Success)
        {
            var name = unknown.Groups[1].Value;
            var known = FindType(unknown.Groups[2].Value)?.GetProperties()
                .Where(p => p.CanWrite).Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name));
            var full = path.EndsWith("." + name, StringComparison.Ordinal) ? path : $"{path}.{name}";
            return At(full, $"unknown key '{name}'" + (known is null ? "" : $" (known here: {string.Join(", ", known)})"));
        }
        if (NullNotAllowed().IsMatch(e.Message)) return At(path, "an empty value (a value is needed here)");
        var conversion = Conversion().Match(e.Message);
        if (conversion.Success)
            return At(path, $"expected {Expected(conversion.Groups[1].Value)}");
        return At(path, e.Message.Split(" Path:")[0]);
    }

    static string Expected(string type) => type switch
    {
        _ when type.StartsWith("System.Int", StringComparison.Ordinal) => "a whole number",
        "System.Double" or "System.Single" => "a number",
        "System.Boolean" => "true or false",
        "System.String" => "a text value",
        _ when type.Contains("IReadOnlyList", StringComparison.Ordinal) => "a list (e.g. [a, b])",
        _ when type.Contains("Dictionary", StringComparison.Ordinal) => "a mapping of keys to values",
        _ when FindType(type) is { IsEnum: true } e
            => "one of " + string.Join(", ", Enum.GetNames(e).Select(n => JsonNamingPolicy.SnakeCaseLower.ConvertName(n))),
        _ => "a mapping of keys to values",
    };

    static Type? FindType(string name) =>
        AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(name)).FirstOrDefault(t => t is not null);

    static string Parent(string path)
    {
        int cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "$" : path[..cut];
    }

    [GeneratedRegex(@"The JSON property '(.*?)' could not be mapped to any \.NET member contained in type '(.*?)'")]
    private static partial Regex UnknownMember();

    [GeneratedRegex(@"could not be converted to (\S+?)\.? Path")]
    private static partial Regex Conversion();

    [GeneratedRegex(@"doesn't allow (setting|getting) null values")]
    private static partial Regex NullNotAllowed();
}
