using System.Buffers.Binary;

namespace Pleura.Dicom.Codecs;

/// <summary>Uncompressed pixel data: 8- or 16-bit words (already little-endian, see DicomElement), frames one after another.</summary>
static class NativeCodec
{
    public static int[] Decode(ReadOnlySpan<byte> data, PixelFormat f, int frame, string source)
    {
        int bytesPerPixel = f.BitsAllocated / 8;
        long frameBytes = (long)f.PixelsPerFrame * bytesPerPixel, start = frameBytes * frame;
        if (start + frameBytes > data.Length)
            throw new DicomReadException(source,
                $"the pixel data has {data.Length} bytes, frame {frame + 1} of {f.Columns} x {f.Rows} x {f.BitsAllocated} bits needs {start + frameBytes}");
        var words = data.Slice((int)start, (int)frameBytes);
        var values = new int[f.PixelsPerFrame];
        if (bytesPerPixel == 1)
            for (int i = 0; i < values.Length; i++) values[i] = f.StoredValue(words[i]);
        else
            for (int i = 0; i < values.Length; i++) values[i] = f.StoredValue(BinaryPrimitives.ReadUInt16LittleEndian(words[(2 * i)..]));
        return values;
    }
}
