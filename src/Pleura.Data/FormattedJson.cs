using System.Text.Json;

namespace Pleura.Data;

/// <summary>
/// Reads a JSON file that names its own format (e.g. <c>pleura-split/1</c>): a missing file, malformed JSON, a file
/// of another format and a value its format does not allow (a missing list, counts that disagree) each fail with the
/// path and a sentence saying what was expected, never a bare parser exception or a crash later on.
/// </summary>
public static class FormattedJson
{
    /// <param name="kind">The kind of file, for "not found" ("split file").</param>
    /// <param name="what">What the file should be, for messages ("a Pleura split file").</param>
    /// <param name="format">The format name the value carries.</param>
    /// <param name="problem">What is wrong with a value read (null when nothing is): its format's own rules.</param>
    public static T Load<T>(string path, JsonSerializerOptions options, string kind, string what, string expectedFormat, Func<T, string?> format,
        Func<T, string?>? problem = null) where T : class
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: {kind} not found", path);
        T? value;
        try { value = JsonSerializer.Deserialize<T>(File.ReadAllText(path), options); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not {what} ({e.Message})", e); }
        if (value is null || format(value) != expectedFormat) throw new InvalidDataException($"{path}: not {what} (format '{(value is null ? null : format(value))}')");
        if (problem?.Invoke(value) is { } wrong) throw new InvalidDataException($"{path}: a damaged {kind}: {wrong}");
        return value;
    }
}
