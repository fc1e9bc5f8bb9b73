using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Pleura.Dicom;

/// <summary>
/// The elements of a dataset (or of a sequence item) in file order, with typed getters. A value that is present but
/// cannot be read as the type asked for throws <see cref="DicomReadException"/> naming the source file; an absent or
/// empty one gives null (or an empty array).
/// </summary>
public sealed class DicomDataset
{
    readonly Dictionary<DicomTag, DicomElement> byTag;

    public DicomDataset(IEnumerable<DicomElement> elements, string source, Encoding text)
    {
        Elements = elements.ToList();
        byTag = new Dictionary<DicomTag, DicomElement>(Elements.Count);
        foreach (var e in Elements) byTag[e.Tag] = e;
        Source = source;
        Text = text;
    }

    public IReadOnlyList<DicomElement> Elements { get; }

    /// <summary>The file the dataset was read from, for error messages.</summary>
    public string Source { get; }

    /// <summary>How text values are decoded (Latin-1 unless Specific Character Set says UTF-8).</summary>
    public Encoding Text { get; }

    public bool Contains(DicomTag tag) => byTag.ContainsKey(tag);

    public DicomElement? Get(DicomTag tag) => byTag.GetValueOrDefault(tag);

    /// <summary>The whole text value with DICOM padding (trailing spaces and NULs) removed; null when absent or empty.</summary>
    public string? GetString(DicomTag tag)
    {
        if (Get(tag) is not { } e || e.Value.IsEmpty) return null;
        var s = Text.GetString(e.Value.Span).TrimEnd(' ', '\0');
        return s.Length == 0 ? null : s;
    }

    /// <summary>The values of a multi-valued text attribute, each trimmed.</summary>
    public string[] GetStrings(DicomTag tag) =>
        GetString(tag) is { } s ? s.Split('\\').Select(v => v.Trim(' ', '\0')).ToArray() : [];

    public int? GetInt(DicomTag tag) => GetInts(tag) is [var first, ..] ? first : null;

    /// <summary>Integer values of a binary (US, SS, UL, SL) or text (IS, DS) attribute.</summary>
    public int[] GetInts(DicomTag tag)
    {
        if (Get(tag) is not { } e || e.Value.IsEmpty) return [];
        switch (e.VR.Code)
        {
            case "US": case "OW": return Words(e, 2).Select(i => (int)BinaryPrimitives.ReadUInt16LittleEndian(e.Value.Span[i..])).ToArray();
            case "SS": return Words(e, 2).Select(i => (int)BinaryPrimitives.ReadInt16LittleEndian(e.Value.Span[i..])).ToArray();
            case "UL": return Words(e, 4).Select(i => checked((int)BinaryPrimitives.ReadUInt32LittleEndian(e.Value.Span[i..]))).ToArray();
            case "SL": return Words(e, 4).Select(i => BinaryPrimitives.ReadInt32LittleEndian(e.Value.Span[i..])).ToArray();
            default:
                return GetStrings(tag).Where(s => s.Length > 0).Select(s =>
                    int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
                    : double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue ? (int)d
                    : throw Bad(e, $"'{s}' is not an integer")).ToArray();
        }
    }

    public double? GetDouble(DicomTag tag) => GetDoubles(tag) is [var first, ..] ? first : null;

    /// <summary>Decimal values of a DS / IS / FD / FL attribute (or any integer one).</summary>
    public double[] GetDoubles(DicomTag tag)
    {
        if (Get(tag) is not { } e || e.Value.IsEmpty) return [];
        return e.VR.Code switch
        {
            "FD" => Words(e, 8).Select(i => BinaryPrimitives.ReadDoubleLittleEndian(e.Value.Span[i..])).ToArray(),
            "FL" => Words(e, 4).Select(i => (double)BinaryPrimitives.ReadSingleLittleEndian(e.Value.Span[i..])).ToArray(),
            "DS" or "IS" or "UN" => GetStrings(tag).Where(s => s.Length > 0).Select(s =>
                double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
                : throw Bad(e, $"'{s}' is not a number")).ToArray(),
            _ => GetInts(tag).Select(i => (double)i).ToArray(),
        };
    }

    /// <summary>The items of a sequence; empty when the sequence is absent.</summary>
    public IReadOnlyList<DicomDataset> GetSequence(DicomTag tag) => Get(tag)?.Items ?? [];

    /// <summary>A DA value (YYYYMMDD, or the old YYYY.MM.DD); null when absent.</summary>
    public DateOnly? GetDate(DicomTag tag)
    {
        if (GetString(tag) is not { } s) return null;
        var digits = s.Replace(".", "");
        return DateOnly.TryParseExact(digits, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
            : throw Bad(Get(tag)!, $"'{s}' is not a date");
    }

    /// <summary>A TM value (HH, HHMM, HHMMSS, with fraction, or the old HH:MM:SS); null when absent.</summary>
    public TimeOnly? GetTime(DicomTag tag)
    {
        if (GetString(tag) is not { } s) return null;
        var t = s.Replace(":", "");
        var whole = t.Split('.')[0];
        var fraction = t.Contains('.') ? t[(t.IndexOf('.') + 1)..] : "";
        if (whole.Length is 2 or 4 or 6 && whole.All(char.IsAsciiDigit) && fraction.All(char.IsAsciiDigit))
        {
            int h = int.Parse(whole[..2], CultureInfo.InvariantCulture);
            int m = whole.Length >= 4 ? int.Parse(whole[2..4], CultureInfo.InvariantCulture) : 0;
            int sec = whole.Length == 6 ? int.Parse(whole[4..6], CultureInfo.InvariantCulture) : 0;
            long ticks = fraction.Length == 0 ? 0 : (long)(double.Parse("0." + fraction, CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond);
            if (h < 24 && m < 60 && sec < 61) return new TimeOnly(h, m, Math.Min(sec, 59)).Add(TimeSpan.FromTicks(ticks));
        }
        throw Bad(Get(tag)!, $"'{s}' is not a time");
    }

    // The header fields an ingest reads.
    public string? PatientID => GetString(DicomTag.PatientID);
    public string? AccessionNumber => GetString(DicomTag.AccessionNumber);
    public DateOnly? StudyDate => GetDate(DicomTag.StudyDate);
    public TimeOnly? AcquisitionTime => GetTime(DicomTag.AcquisitionTime);
    public TimeOnly? ContentTime => GetTime(DicomTag.ContentTime);
    public string? ViewPosition => GetString(DicomTag.ViewPosition);
    public DateOnly? PatientBirthDate => GetDate(DicomTag.PatientBirthDate);
    /// <summary>Patient's Age as written (e.g. "045Y").</summary>
    public string? PatientAge => GetString(DicomTag.PatientAge);
    public string? PatientSex => GetString(DicomTag.PatientSex);
    public string? Modality => GetString(DicomTag.Modality);
    public string? BodyPartExamined => GetString(DicomTag.BodyPartExamined);
    public string? StudyInstanceUID => GetString(DicomTag.StudyInstanceUID);
    public string? SeriesInstanceUID => GetString(DicomTag.SeriesInstanceUID);
    public string? SOPInstanceUID => GetString(DicomTag.SOPInstanceUID);
    public string? SOPClassUID => GetString(DicomTag.SOPClassUID);
    public string[] ImageType => GetStrings(DicomTag.ImageType);
    public int? Rows => GetInt(DicomTag.Rows);
    public int? Columns => GetInt(DicomTag.Columns);
    public string? PhotometricInterpretation => GetString(DicomTag.PhotometricInterpretation);
    /// <summary>Number of Frames, 1 when absent (single-frame IODs do not carry it).</summary>
    public int NumberOfFrames => GetInt(DicomTag.NumberOfFrames) ?? 1;

    IEnumerable<int> Words(DicomElement e, int size)
    {
        if (e.Value.Length % size != 0) throw Bad(e, $"its length {e.Value.Length} is not a multiple of {size}");
        return Enumerable.Range(0, e.Value.Length / size).Select(i => i * size);
    }

    DicomReadException Bad(DicomElement e, string why) =>
        new(Source, $"{DicomDictionary.KeywordOf(e.Tag)} {e.Tag} {e.VR}: {why}");
}
