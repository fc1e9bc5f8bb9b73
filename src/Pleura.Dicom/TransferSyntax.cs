namespace Pleura.Dicom;

/// <summary>How the pixels of a transfer syntax are compressed; decides the decoder.</summary>
public enum PixelEncoding { Native, Rle, Jpeg, JpegLossless, JpegLs, Jpeg2000 }

/// <summary>A transfer syntax this reader knows: how the dataset is encoded and how the pixel data is.</summary>
public sealed record TransferSyntax(string Uid, string Name, bool ExplicitVR, bool BigEndian, bool Deflated, PixelEncoding Pixels, bool Lossy)
{
    public static readonly TransferSyntax ImplicitVRLittleEndian = new("1.2.840.10008.1.2", "Implicit VR Little Endian", false, false, false, PixelEncoding.Native, false);
    public static readonly TransferSyntax ExplicitVRLittleEndian = new("1.2.840.10008.1.2.1", "Explicit VR Little Endian", true, false, false, PixelEncoding.Native, false);
    public static readonly TransferSyntax DeflatedExplicitVRLittleEndian = new("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", true, false, true, PixelEncoding.Native, false);
    public static readonly TransferSyntax ExplicitVRBigEndian = new("1.2.840.10008.1.2.2", "Explicit VR Big Endian", true, true, false, PixelEncoding.Native, false);
    public static readonly TransferSyntax JpegBaseline = new("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", true, false, false, PixelEncoding.Jpeg, true);
    public static readonly TransferSyntax JpegExtended = new("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", true, false, false, PixelEncoding.Jpeg, true);
    public static readonly TransferSyntax JpegLossless = new("1.2.840.10008.1.2.4.57", "JPEG Lossless (Process 14)", true, false, false, PixelEncoding.JpegLossless, false);
    public static readonly TransferSyntax JpegLosslessSV1 = new("1.2.840.10008.1.2.4.70", "JPEG Lossless (Process 14, SV1)", true, false, false, PixelEncoding.JpegLossless, false);
    public static readonly TransferSyntax JpegLsLossless = new("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless", true, false, false, PixelEncoding.JpegLs, false);
    public static readonly TransferSyntax JpegLsNearLossless = new("1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless", true, false, false, PixelEncoding.JpegLs, true);
    public static readonly TransferSyntax Jpeg2000Lossless = new("1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)", true, false, false, PixelEncoding.Jpeg2000, false);
    public static readonly TransferSyntax Jpeg2000 = new("1.2.840.10008.1.2.4.91", "JPEG 2000", true, false, false, PixelEncoding.Jpeg2000, true);
    public static readonly TransferSyntax RleLossless = new("1.2.840.10008.1.2.5", "RLE Lossless", true, false, false, PixelEncoding.Rle, false);

    public static IReadOnlyList<TransferSyntax> All { get; } =
    [
        ImplicitVRLittleEndian, ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian,
        JpegBaseline, JpegExtended, JpegLossless, JpegLosslessSV1, JpegLsLossless, JpegLsNearLossless,
        Jpeg2000Lossless, Jpeg2000, RleLossless,
    ];

    /// <summary>The syntax with this UID, or null when this reader does not support it.</summary>
    public static TransferSyntax? Find(string uid) => All.FirstOrDefault(t => t.Uid == uid.TrimEnd('\0', ' '));

    public override string ToString() => $"{Name} ({Uid})";
}
