namespace Pleura.Dicom;

/// <summary>A value representation: the two-letter code, and what follows from it for reading.</summary>
public readonly record struct DicomVR(string Code)
{
    // VRs whose explicit-VR header has two reserved bytes and a 32-bit length (PS3.5 7.1.2).
    static readonly HashSet<string> LongHeader = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"];
    static readonly HashSet<string> Text = ["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"];
    static readonly HashSet<string> Known = [.. LongHeader, .. Text, "AT", "FD", "FL", "SL", "SS", "UL", "US"];

    public static readonly DicomVR UN = new("UN");
    public static readonly DicomVR SQ = new("SQ");
    public static readonly DicomVR OB = new("OB");
    public static readonly DicomVR OW = new("OW");
    public static readonly DicomVR UL = new("UL");
    public static readonly DicomVR US = new("US");

    public bool HasLongHeader => LongHeader.Contains(Code);
    public bool IsText => Text.Contains(Code);
    public static bool IsKnown(string code) => Known.Contains(code);

    /// <summary>Bytes per value for the binary numeric VRs (the unit a big-endian value is swapped by), else 1.</summary>
    public int ValueSize => Code switch
    {
        "US" or "SS" or "OW" or "AT" => 2,
        "UL" or "SL" or "FL" or "OF" or "OL" => 4,
        "FD" or "OD" or "SV" or "UV" or "OV" => 8,
        _ => 1,
    };

    public override string ToString() => Code;
}
