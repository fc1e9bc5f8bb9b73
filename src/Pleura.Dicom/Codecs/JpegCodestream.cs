using System.Buffers.Binary;

namespace Pleura.Dicom.Codecs;

/// <summary>
/// The header of a one-component JPEG codestream up to its first scan (ISO 10918-1 Annex B): tables, restart interval,
/// frame and scan headers, and where the entropy-coded data starts.
/// </summary>
sealed class JpegCodestream
{
    public byte FrameMarker { get; private set; }
    public int Precision { get; private set; }
    public int Width { get; private set; }
    public int Height { get; private set; }
    public int RestartInterval { get; private set; }
    public int[] Quantization { get; private set; } = [];
    public JpegHuffmanTable Dc { get; private set; } = null!;
    public JpegHuffmanTable? Ac { get; private set; }
    /// <summary>Ss: the predictor of a lossless scan (Se, Ah are of no use to the processes read here).</summary>
    public int SpectralStart { get; private set; }
    /// <summary>Al: the point transform of a lossless scan.</summary>
    public int PointTransform { get; private set; }
    public int ScanDataStart { get; private set; }

    /// <summary>Zig-zag position to natural (row-major) index.</summary>
    public static readonly byte[] Natural =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
        28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
        54, 47, 55, 62, 63,
    ];

    public static JpegCodestream Read(byte[] data, Func<string, Exception> fail)
    {
        var stream = new JpegCodestream();
        stream.Parse(data, fail);
        return stream;
    }

    void Parse(byte[] data, Func<string, Exception> fail)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8) throw fail("no start-of-image marker");
        var quantization = new int[4][];
        var dc = new JpegHuffmanTable?[4];
        var ac = new JpegHuffmanTable?[4];
        int componentId = -1, quantIndex = 0;
        for (int pos = 2; ;)
        {
            if (pos + 4 > data.Length) throw fail("the codestream ends before a scan");
            if (data[pos] != 0xFF) throw fail($"a marker was expected at byte {pos}");
            byte marker = data[pos + 1];
            if (marker == 0xFF) { pos++; continue; } // fill byte
            int length = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(pos + 2));
            if (length < 2 || pos + 2 + length > data.Length) throw fail($"marker FF{marker:X2} overruns the codestream");
            var s = data.AsSpan(pos + 4, length - 2);
            pos += 2 + length;
            switch (marker)
            {
                case 0xDB:
                    while (s.Length > 0)
                    {
                        bool wide = s[0] >> 4 == 1;
                        int size = wide ? 128 : 64;
                        if (s.Length < 1 + size) throw fail("a quantization table is cut short");
                        var table = new int[64];
                        for (int i = 0; i < 64; i++) table[Natural[i]] = wide ? BinaryPrimitives.ReadUInt16BigEndian(s[(1 + 2 * i)..]) : s[1 + i];
                        quantization[s[0] & 3] = table;
                        s = s[(1 + size)..];
                    }
                    break;
                case 0xC4:
                    while (s.Length > 0)
                    {
                        if (s.Length < 17) throw fail("a Huffman table is cut short");
                        int count = 0;
                        for (int i = 1; i <= 16; i++) count += s[i];
                        if (s.Length < 17 + count) throw fail("a Huffman table is cut short");
                        var table = new JpegHuffmanTable(s.Slice(1, 16), s.Slice(17, count));
                        if (s[0] >> 4 == 0) dc[s[0] & 3] = table; else ac[s[0] & 3] = table;
                        s = s[(17 + count)..];
                    }
                    break;
                case 0xDD:
                    if (s.Length < 2) throw fail("the restart interval segment is cut short");
                    RestartInterval = BinaryPrimitives.ReadUInt16BigEndian(s);
                    break;
                case >= 0xC0 and <= 0xCF when marker is not (0xC4 or 0xC8 or 0xCC):
                    if (marker is not (0xC0 or 0xC1 or 0xC3))
                        throw fail($"JPEG process of frame marker FF{marker:X2} (progressive, arithmetic or hierarchical) is not supported");
                    if (s.Length < 9) throw fail("the frame header is cut short");
                    if (s[5] != 1) throw fail($"{s[5]} components in a greyscale image");
                    FrameMarker = marker;
                    Precision = s[0];
                    Height = BinaryPrimitives.ReadUInt16BigEndian(s[1..]);
                    Width = BinaryPrimitives.ReadUInt16BigEndian(s[3..]);
                    componentId = s[6];
                    quantIndex = s[8] & 3;
                    if (Width == 0 || Height == 0) throw fail("an empty frame (or a DNL marker, which is not supported)");
                    break;
                case 0xDA:
                    if (componentId < 0) throw fail("a scan before the frame header");
                    if (s.Length < 6 || s[0] != 1 || s[1] != componentId) throw fail("the scan is not of the image's one component");
                    Dc = dc[s[2] >> 4] ?? throw fail("the scan's DC Huffman table is not defined");
                    Ac = ac[s[2] & 3];
                    SpectralStart = s[3];
                    PointTransform = s[5] & 15;
                    if (FrameMarker != 0xC3)
                    {
                        if (Ac is null) throw fail("the scan's AC Huffman table is not defined");
                        Quantization = quantization[quantIndex] ?? throw fail("the frame's quantization table is not defined");
                    }
                    ScanDataStart = pos;
                    return;
                case 0xD9:
                    throw fail("the codestream ends before a scan");
                default:
                    break; // APPn, COM and the like carry nothing the pixels need
            }
        }
    }
}
