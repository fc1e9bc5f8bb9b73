namespace Pleura.Data;

/// <summary>
/// Maps Pleura's column names to the headers of a user's table, e.g. <c>patient_id=PatientID</c>. Columns not
/// mapped are looked up under their own name (case-insensitive); unmapped user columns are kept as extra columns.
/// A mapping may also rename a label column: <c>left_grade=LeftScoreR1</c>.
/// </summary>
public sealed class ColumnMapping
{
    readonly Dictionary<string, string> _oursToTheirs;

    public ColumnMapping(IReadOnlyDictionary<string, string>? oursToTheirs = null)
    {
        _oursToTheirs = new Dictionary<string, string>(oursToTheirs ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
    }

    public static ColumnMapping Identity { get; } = new();

    /// <summary>Parses <c>ours=theirs</c> pairs.</summary>
    public static ColumnMapping Parse(IEnumerable<string> pairs)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in pairs)
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0 || eq == pair.Length - 1)
                throw new FormatException($"column mapping '{pair}' must look like ours=theirs, e.g. patient_id=PatientID");
            var ours = pair[..eq].Trim();
            if (map.ContainsKey(ours)) throw new FormatException($"column '{ours}' is mapped twice");
            map[ours] = pair[(eq + 1)..].Trim();
        }
        return new ColumnMapping(map);
    }

    public IReadOnlyDictionary<string, string> Pairs => _oursToTheirs;

    /// <summary>The user's header name for one of our columns.</summary>
    public string TheirName(string ours) => _oursToTheirs.TryGetValue(ours, out var theirs) ? theirs : ours;

    /// <summary>Our name for one of the user's headers (reverse lookup; identity when unmapped).</summary>
    public string OurName(string theirs)
    {
        foreach (var (ours, t) in _oursToTheirs)
            if (string.Equals(t, theirs, StringComparison.OrdinalIgnoreCase)) return ours;
        return theirs;
    }
}
