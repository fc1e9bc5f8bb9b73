using System.Runtime.InteropServices;

namespace Pleura.Dicom.Codecs;

/// <summary>JPEG-LS lossless and near-lossless through CharLS (Debian libcharls2, its C API).</summary>
static unsafe partial class JpegLsCodec
{
    const string Lib = "libcharls.so.2";

    [StructLayout(LayoutKind.Sequential)]
    struct FrameInfo { public uint Width, Height; public int BitsPerSample, ComponentCount; }

    [LibraryImport(Lib)] private static partial nint charls_jpegls_decoder_create();
    [LibraryImport(Lib)] private static partial void charls_jpegls_decoder_destroy(nint decoder);
    [LibraryImport(Lib)] private static partial int charls_jpegls_decoder_set_source_buffer(nint decoder, byte* source, nuint size);
    [LibraryImport(Lib)] private static partial int charls_jpegls_decoder_read_header(nint decoder);
    [LibraryImport(Lib)] private static partial int charls_jpegls_decoder_get_frame_info(nint decoder, FrameInfo* info);
    [LibraryImport(Lib)] private static partial int charls_jpegls_decoder_decode_to_buffer(nint decoder, void* destination, nuint size, uint stride);
    [LibraryImport(Lib)] private static partial nint charls_get_error_message(int error);

    public static int[] Decode(byte[] data, PixelFormat f, string source)
    {
        DicomReadException Fail(string why, Exception? inner = null) => new(source, $"JPEG-LS: {why}", inner);
        nint decoder;
        try { decoder = charls_jpegls_decoder_create(); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw Fail($"CharLS ({Lib}) is not installed; on Debian: apt-get install libcharls2", e);
        }
        if (decoder == 0) throw Fail("CharLS could not create a decoder");
        try
        {
            fixed (byte* input = data)
            {
                Check(charls_jpegls_decoder_set_source_buffer(decoder, input, (nuint)data.Length));
                Check(charls_jpegls_decoder_read_header(decoder));
                FrameInfo info;
                Check(charls_jpegls_decoder_get_frame_info(decoder, &info));
                if (info.ComponentCount != 1) throw Fail($"{info.ComponentCount} components in a greyscale image");
                if (info.Width != f.Columns || info.Height != f.Rows)
                    throw Fail($"the codestream is {info.Width} x {info.Height}, the header says {f.Columns} x {f.Rows}");
                if (info.BitsPerSample is < 2 or > 16) throw Fail($"{info.BitsPerSample} bits a sample");
                int n = f.PixelsPerFrame;
                var values = new int[n];
                if (info.BitsPerSample <= 8)
                {
                    var buffer = new byte[n];
                    fixed (byte* output = buffer) Check(charls_jpegls_decoder_decode_to_buffer(decoder, output, (nuint)n, 0));
                    for (int i = 0; i < n; i++) values[i] = f.FromSample(buffer[i]);
                }
                else
                {
                    var buffer = new ushort[n];
                    fixed (ushort* output = buffer) Check(charls_jpegls_decoder_decode_to_buffer(decoder, output, (nuint)n * 2, 0));
                    for (int i = 0; i < n; i++) values[i] = f.FromSample(buffer[i]);
                }
                return values;
            }
        }
        finally { charls_jpegls_decoder_destroy(decoder); }

        void Check(int error)
        {
            if (error != 0) throw Fail(Marshal.PtrToStringUTF8(charls_get_error_message(error)) ?? $"CharLS error {error}");
        }
    }
}
