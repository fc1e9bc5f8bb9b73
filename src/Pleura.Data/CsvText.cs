using System.Globalization;

namespace Pleura.Data;

/// <summary>Field formatting for the CSV files Pleura writes: invariant culture, blank for undefined numbers, RFC 4180 quoting.</summary>
public static class CsvText
{
    /// <summary>A number as a field: round-trip precision (or the given format); NaN becomes a blank.</summary>
    public static string Number(double value, string format = "R") =>
        double.IsNaN(value) ? "" : value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A text field, quoted when it holds a comma, quote or line break.</summary>
    public static string Field(string text) =>
        text.AsSpan().IndexOfAny(NeedsQuotes) >= 0 ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;

    static readonly System.Buffers.SearchValues<char> NeedsQuotes = System.Buffers.SearchValues.Create(",\"\n\r");

    /// <summary>A number for JSON: null where undefined.</summary>
    public static double? OrNull(double value) => double.IsNaN(value) ? null : value;
}
