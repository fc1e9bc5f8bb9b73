using System.Buffers.Binary;

namespace Pleura.Dicom.Codecs;

/// <summary>
/// RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits segment per byte of the
/// allocated word, most significant byte first.
/// </summary>
static class RleCodec
{
    public static int[] Decode(byte[] data, PixelFormat f, string source)
    {
        DicomReadException Fail(string why) => new(source, $"RLE: {why}");
        if (data.Length < 64) throw Fail($"the frame has {data.Length} bytes, less than its 64-byte header");
        int segments = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
        int bytesPerPixel = f.BitsAllocated / 8;
        if (segments != bytesPerPixel)
            throw Fail($"{segments} segments for {f.BitsAllocated}-bit greyscale (expected {bytesPerPixel})");

        int n = f.PixelsPerFrame;
        var planes = new byte[segments][];
        for (int s = 0; s < segments; s++)
        {
            long start = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(4 + 4 * s));
            long end = s + 1 < segments ? BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(8 + 4 * s)) : data.Length;
            if (start < 64 || end > data.Length || end < start) throw Fail($"segment {s + 1} lies outside the frame ({start}..{end})");
            planes[s] = UnpackBits(data.AsSpan((int)start, (int)(end - start)), n, Fail);
        }
        var values = new int[n];
        for (int i = 0; i < n; i++)
        {
            int word = 0;
            for (int s = 0; s < segments; s++) word = (word << 8) | planes[s][i];
            values[i] = f.StoredValue(word);
        }
        return values;
    }

    /// <summary>PackBits: a header byte n in 0..127 copies n+1 literal bytes, -1..-127 repeats the next byte 1-n times, -128 is a no-op.</summary>
    static byte[] UnpackBits(ReadOnlySpan<byte> segment, int count, Func<string, DicomReadException> fail)
    {
        var output = new byte[count];
        int o = 0, i = 0;
        while (o < count)
        {
            if (i >= segment.Length) throw fail($"a segment ends after {o} of {count} bytes");
            int header = (sbyte)segment[i++];
            if (header >= 0)
            {
                int run = header + 1;
                if (i + run > segment.Length || o + run > count) throw fail("a literal run overruns the segment or the frame");
                segment.Slice(i, run).CopyTo(output.AsSpan(o));
                i += run; o += run;
            }
            else if (header != -128)
            {
                int run = 1 - header;
                if (i >= segment.Length || o + run > count) throw fail("a replicate run overruns the segment or the frame");
                output.AsSpan(o, run).Fill(segment[i++]);
                o += run;
            }
        }
        return output;
    }
}
