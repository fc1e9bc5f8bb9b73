using JpegLibrary;

namespace Pleura.Dicom.Codecs;

/// <summary>
/// JPEG baseline (8-bit), extended (12-bit) and lossless process 14 through JpegLibrary's managed decoder.
/// </summary>
static class JpegCodec
{
    public static int[] Decode(byte[] data, PixelFormat f, string source)
    {
        DicomReadException Fail(string why, Exception? inner = null) => new(source, $"JPEG: {why}", inner);
        try
        {
            var decoder = new JpegDecoder();
            decoder.SetInput(data);
            decoder.Identify();
            if (decoder.NumberOfComponents != 1) throw Fail($"{decoder.NumberOfComponents} components in a greyscale image");
            if (decoder.Width != f.Columns || decoder.Height != f.Rows)
                throw Fail($"the codestream is {decoder.Width} x {decoder.Height}, the header says {f.Columns} x {f.Rows}");
            var writer = new SampleWriter(decoder.Width, decoder.Height, decoder.Precision);
            decoder.SetOutputWriter(writer);
            decoder.Decode();
            return Array.ConvertAll(writer.Samples, f.FromSample);
        }
        catch (DicomReadException) { throw; }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            throw Fail(e.Message, e);
        }
    }

    /// <summary>Collects the decoder's 8x8 blocks into one image, clamped to the sample precision.</summary>
    sealed class SampleWriter(int width, int height, int precision) : JpegBlockOutputWriter
    {
        readonly int max = (1 << precision) - 1;
        public int[] Samples { get; } = new int[width * height];

        public override void WriteBlock(ref short blockRef, int componentIndex, int x, int y)
        {
            int w = Math.Min(8, width - x), h = Math.Min(8, height - y);
            for (int row = 0; row < h; row++)
                for (int col = 0; col < w; col++)
                {
                    int v = System.Runtime.CompilerServices.Unsafe.Add(ref blockRef, row * 8 + col);
                    // Lossless 16-bit samples come through a short as their bit pattern; lossy ones may overshoot the range.
                    Samples[(y + row) * width + x + col] = precision == 16 ? v & 0xFFFF : Math.Clamp(v, 0, max);
                }
        }
    }
}
