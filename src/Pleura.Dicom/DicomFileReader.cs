using System.IO.Compression;
using System.Text;

namespace Pleura.Dicom;

/// <summary>
/// Reads a DICOM file: Part 10 with or without the 128-byte preamble, or a bare dataset (ACR-NEMA style, syntax
/// guessed from the first element); implicit and explicit VR little endian, explicit VR big endian and deflated.
/// Every failure is a <see cref="DicomReadException"/> naming the file.
/// </summary>
public static class DicomFileReader
{
    /// <summary>Deflated datasets are inflated at most to this size, so a crafted file cannot exhaust memory.</summary>
    const long MaxInflatedBytes = 1L << 29;

    /// <param name="readPixelData">false stops at the pixel data, for reading headers quickly (elements after it, e.g. trailing private groups, are not read).</param>
    public static DicomFile Read(string path, bool readPixelData = true)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DicomReadException(path, $"cannot be opened ({e.Message})", e);
        }
        return Read(bytes, path, readPixelData);
    }

    /// <param name="source">What to name in error messages (the file the bytes came from).</param>
    public static DicomFile Read(byte[] bytes, string source, bool readPixelData = true)
    {
        try
        {
            return Parse(bytes, source, readPixelData);
        }
        catch (DicomReadException) { throw; }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            // A parser bug must still come out as the one exception type, with the reason.
            throw new DicomReadException(source, $"corrupt data ({e.Message})", e);
        }
    }

    static DicomFile Parse(byte[] bytes, string source, bool readPixelData)
    {
        bool preamble = bytes.Length >= 132 && HasMagic(bytes, 128);
        int start = preamble ? 132 : HasMagic(bytes, 0) ? 4 : -1;
        var latin1 = Encoding.Latin1;

        if (start < 0)
        {
            // No file meta information: a bare dataset. The first tag has to look like one to take it for DICOM.
            var guessed = GuessBareSyntax(bytes)
                ?? throw new DicomReadException(source, "not a DICOM file (no 'DICM' marker, and the start is not a dataset)");
            var bare = new DatasetParser(bytes, source, guessed, readPixelData).ParseTopLevel(0);
            return new DicomFile(source, false, new DicomDataset([], source, latin1), bare, guessed);
        }

        var metaParser = new DatasetParser(bytes, source, TransferSyntax.ExplicitVRLittleEndian, readPixelData);
        var (meta, afterMeta) = metaParser.ParseFileMeta(start);
        var uid = meta.GetString(DicomTag.TransferSyntaxUID)
            ?? throw new DicomReadException(source, "the file meta information has no Transfer Syntax UID");
        var syntax = TransferSyntax.Find(uid)
            ?? throw new DicomReadException(source, $"unsupported transfer syntax {uid}");

        var body = bytes;
        int bodyStart = afterMeta;
        if (syntax.Deflated)
        {
            body = Inflate(bytes, afterMeta, source);
            bodyStart = 0;
        }
        var dataset = new DatasetParser(body, source, syntax, readPixelData).ParseTopLevel(bodyStart);
        return new DicomFile(source, preamble, meta, dataset, syntax);
    }

    /// <summary>
    /// Whether a file without the "DICM" marker starts like a dataset (a plausible first group, as
    /// <see cref="Read(string, bool)"/> guesses it); reads 8 bytes. False for files that cannot be opened.
    /// </summary>
    public static bool LooksLikeBareDataset(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var head = new byte[8];
            return stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length && GuessBareSyntax(head) is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    static bool HasMagic(byte[] b, int at) => b.Length >= at + 4 && b[at] == 'D' && b[at + 1] == 'I' && b[at + 2] == 'C' && b[at + 3] == 'M';

    /// <summary>
    /// The syntax of a dataset with no meta information: explicit when the first element has a VR after its tag, big
    /// endian when its group only makes sense read that way; null when the first group is not a plausible one.
    /// </summary>
    static TransferSyntax? GuessBareSyntax(byte[] b)
    {
        if (b.Length < 8) return null;
        int groupLE = b[0] | (b[1] << 8), groupBE = (b[0] << 8) | b[1];
        bool vrFollows = DicomVR.IsKnown(Encoding.ASCII.GetString(b, 4, 2));
        // Datasets open with group 0000 (command), 0002, 0008 or a few more before 0028; anything else is not DICOM.
        static bool Plausible(int g) => g <= 0x0028 && g % 2 == 0;
        if (Plausible(groupLE) && groupLE != 0 || groupLE == 0 && groupBE == 0)
            return vrFollows ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian;
        if (Plausible(groupBE) && vrFollows) return TransferSyntax.ExplicitVRBigEndian;
        return null;
    }

    static byte[] Inflate(byte[] bytes, int from, string source)
    {
        try
        {
            using var input = new DeflateStream(new MemoryStream(bytes, from, bytes.Length - from), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[1 << 16];
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                if (output.Length + n > MaxInflatedBytes)
                    throw new DicomReadException(source, $"the deflated dataset inflates to more than {MaxInflatedBytes} bytes");
                output.Write(buffer, 0, n);
            }
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DicomReadException(source, $"the deflated dataset is corrupt ({e.Message})", e);
        }
    }
}
