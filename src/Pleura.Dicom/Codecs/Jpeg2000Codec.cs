using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pleura.Dicom.Codecs;

/// <summary>
/// JPEG 2000 (lossless and lossy) through OpenJPEG (Debian libopenjp2-7), reading the codestream from memory with
/// opj_stream callbacks.
/// </summary>
static unsafe partial class Jpeg2000Codec
{
    const string Lib = "libopenjp2.so.7";
    const int CodecJ2K = 0, CodecJP2 = 2;

    /// <summary>opj_dparameters_t is about 8 KB in 2.5; the library fills it, so a generous zeroed block stands in for it.</summary>
    const int ParametersBytes = 1 << 16;

    [StructLayout(LayoutKind.Sequential)]
    struct ImageComponent
    {
        public uint Dx, Dy, W, H, X0, Y0, Prec, Bpp, Sgnd, ResnoDecoded, Factor;
        public int* Data;
        public ushort Alpha;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct Image
    {
        public uint X0, Y0, X1, Y1, NumComps;
        public int ColorSpace;
        public ImageComponent* Comps;
        public byte* IccProfileBuf;
        public uint IccProfileLen;
    }

    /// <summary>The memory the read callbacks serve from.</summary>
    struct Source { public byte* Data; public long Length, Position; }

    [LibraryImport(Lib)] private static partial nint opj_create_decompress(int format);
    [LibraryImport(Lib)] private static partial void opj_set_default_decoder_parameters(byte* parameters);
    [LibraryImport(Lib)] private static partial int opj_setup_decoder(nint codec, byte* parameters);
    [LibraryImport(Lib)] private static partial int opj_set_error_handler(nint codec, delegate* unmanaged<byte*, void*, void> handler, void* data);
    [LibraryImport(Lib)] private static partial nint opj_stream_create(nuint bufferSize, int isInput);
    [LibraryImport(Lib)] private static partial void opj_stream_set_read_function(nint stream, delegate* unmanaged<void*, nuint, void*, nuint> read);
    [LibraryImport(Lib)] private static partial void opj_stream_set_skip_function(nint stream, delegate* unmanaged<long, void*, long> skip);
    [LibraryImport(Lib)] private static partial void opj_stream_set_seek_function(nint stream, delegate* unmanaged<long, void*, int> seek);
    [LibraryImport(Lib)] private static partial void opj_stream_set_user_data(nint stream, void* data, nint freeFunction);
    [LibraryImport(Lib)] private static partial void opj_stream_set_user_data_length(nint stream, ulong length);
    [LibraryImport(Lib)] private static partial int opj_read_header(nint stream, nint codec, Image** image);
    [LibraryImport(Lib)] private static partial int opj_decode(nint codec, nint stream, Image* image);
    [LibraryImport(Lib)] private static partial int opj_end_decompress(nint codec, nint stream);
    [LibraryImport(Lib)] private static partial void opj_image_destroy(Image* image);
    [LibraryImport(Lib)] private static partial void opj_stream_destroy(nint stream);
    [LibraryImport(Lib)] private static partial void opj_destroy_codec(nint codec);

    public static int[] Decode(byte[] data, PixelFormat f, string source)
    {
        DicomReadException Fail(string why, Exception? inner = null) => new(source, $"JPEG 2000: {why}", inner);
        // A raw codestream starts with SOC (FF 4F); anything else is taken for a JP2 file.
        int format = data.Length >= 2 && data[0] == 0xFF && data[1] == 0x4F ? CodecJ2K : CodecJP2;
        nint codec;
        try { codec = opj_create_decompress(format); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw Fail($"OpenJPEG ({Lib}) is not installed; on Debian: apt-get install libopenjp2-7", e);
        }
        if (codec == 0) throw Fail("OpenJPEG could not create a decoder");
        nint stream = 0;
        Image* image = null;
        var errors = new ErrorLog();
        var errorsHandle = GCHandle.Alloc(errors);
        try
        {
            _ = opj_set_error_handler(codec, &OnError, (void*)GCHandle.ToIntPtr(errorsHandle)); // false only for a null codec
            var parameters = new byte[ParametersBytes];
            fixed (byte* p = parameters)
            {
                opj_set_default_decoder_parameters(p);
                if (opj_setup_decoder(codec, p) == 0) throw Fail("OpenJPEG refused the decoder setup");
            }
            fixed (byte* input = data)
            {
                var src = new Source { Data = input, Length = data.Length };
                stream = opj_stream_create(1 << 16, 1);
                if (stream == 0) throw Fail("OpenJPEG could not create a stream");
                opj_stream_set_read_function(stream, &Read);
                opj_stream_set_skip_function(stream, &Skip);
                opj_stream_set_seek_function(stream, &Seek);
                opj_stream_set_user_data(stream, &src, 0);
                opj_stream_set_user_data_length(stream, (ulong)data.Length);
                if (opj_read_header(stream, codec, &image) == 0) throw Fail($"cannot read the header ({errors})");
                if (image->NumComps != 1) throw Fail($"{image->NumComps} components in a greyscale image");
                var c = image->Comps[0];
                if (c.W != f.Columns || c.H != f.Rows)
                    throw Fail($"the codestream is {c.W} x {c.H}, the header says {f.Columns} x {f.Rows}");
                if (opj_decode(codec, stream, image) == 0 || opj_end_decompress(codec, stream) == 0)
                    throw Fail($"decoding failed ({errors})");
                c = image->Comps[0];
                if (c.Data == null) throw Fail("OpenJPEG returned no samples");
                var samples = new ReadOnlySpan<int>(c.Data, f.PixelsPerFrame);
                var values = new int[samples.Length];
                for (int i = 0; i < values.Length; i++) values[i] = f.FromSample(samples[i]);
                return values;
            }
        }
        finally
        {
            if (image != null) opj_image_destroy(image);
            if (stream != 0) opj_stream_destroy(stream);
            opj_destroy_codec(codec);
            errorsHandle.Free();
        }
    }

    /// <summary>OpenJPEG's error messages, kept for the exception.</summary>
    sealed class ErrorLog
    {
        public readonly List<string> Messages = [];
        public override string ToString() => Messages.Count == 0 ? "no message" : string.Join("; ", Messages.Select(m => m.Trim()));
    }

    [UnmanagedCallersOnly]
    static void OnError(byte* message, void* data)
    {
        if (GCHandle.FromIntPtr((nint)data).Target is ErrorLog log) log.Messages.Add(Marshal.PtrToStringUTF8((nint)message) ?? "");
    }

    [UnmanagedCallersOnly]
    static nuint Read(void* buffer, nuint count, void* user)
    {
        var s = (Source*)user;
        long left = s->Length - s->Position;
        if (left <= 0) return unchecked((nuint)(-1)); // OpenJPEG's end-of-stream value
        long n = Math.Min((long)count, left);
        Unsafe.CopyBlockUnaligned(buffer, s->Data + s->Position, (uint)n);
        s->Position += n;
        return (nuint)n;
    }

    [UnmanagedCallersOnly]
    static long Skip(long count, void* user)
    {
        var s = (Source*)user;
        long target = Math.Clamp(s->Position + count, 0, s->Length);
        long skipped = target - s->Position;
        s->Position = target;
        return skipped;
    }

    [UnmanagedCallersOnly]
    static int Seek(long position, void* user)
    {
        var s = (Source*)user;
        if (position < 0 || position > s->Length) return 0;
        s->Position = position;
        return 1;
    }
}
