using System.Buffers.Binary;

namespace Pleura.Dicom.Tests;

/// <summary>
/// What the reference decoders make of a file. dcmtk 3.6.7 (Debian 12) decodes native, RLE, JPEG and JPEG-LS but has
/// no JPEG 2000 codec, so JPEG 2000 codestreams (fragments written out by dcmdump) go to OpenJPEG's opj_decompress.
/// </summary>
public static class Reference
{
    /// <summary>The file with its pixel data made native (explicit VR little endian) by dcmtk; null for JPEG 2000.</summary>
    public static string? Decompressed(string path, TransferSyntax syntax, TempFolder temp)
    {
        var output = temp.File(Path.GetFileName(path) + ".native.dcm");
        switch (syntax.Pixels)
        {
            case PixelEncoding.Native: return path;
            case PixelEncoding.Jpeg or PixelEncoding.JpegLossless: Tools.Run("dcmdjpeg", temp.Path, path, output); return output;
            case PixelEncoding.JpegLs: Tools.Run("dcmdjpls", temp.Path, path, output); return output;
            case PixelEncoding.Rle: Tools.Run("dcmdrle", temp.Path, path, output); return output;
            default: return null;
        }
    }

    /// <summary>Stored values of the first frame as the reference decoder gives them.</summary>
    public static int[] StoredValues(string path, TransferSyntax syntax, PixelFormat format, TempFolder temp)
    {
        var dump = Directory.CreateDirectory(temp.File("raw-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        if (syntax.Pixels == PixelEncoding.Jpeg2000)
        {
            // dcmdump writes item 0 (the offset table) and each fragment to NAME.i.raw; one frame is all fragments.
            Tools.Run("dcmdump", dump, "-q", "+W", dump, path);
            var name = Path.GetFileName(path);
            var codestream = Path.Combine(dump, "frame.j2k");
            using (var joined = File.Create(codestream))
                for (int i = 1; File.Exists(Path.Combine(dump, $"{name}.{i}.raw")); i++)
                    joined.Write(File.ReadAllBytes(Path.Combine(dump, $"{name}.{i}.raw")));
            var pgm = Path.Combine(dump, "frame.pgm");
            Tools.Run("opj_decompress", dump, "-quiet", "-i", codestream, "-o", pgm);
            return Pgm.Read(pgm).Values.Select(format.FromSample).ToArray();
        }
        var native = Decompressed(path, syntax, temp)!;
        Tools.Run("dcmdump", dump, "-q", "+W", dump, native);
        var raw = File.ReadAllBytes(Path.Combine(dump, Path.GetFileName(native) + ".0.raw"));
        return format.BitsAllocated == 8
            ? raw.Take(format.PixelsPerFrame).Select(b => format.StoredValue(b)).ToArray()
            : Enumerable.Range(0, format.PixelsPerFrame).Select(i => format.StoredValue(BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i)))).ToArray();
    }

    /// <summary>dcm2pnm's 16-bit rendering of a native file with the given window options (e.g. "+Wi", "1").</summary>
    public static int[] Rendered(string nativePath, TempFolder temp, params string[] window)
    {
        var output = temp.File("render-" + Guid.NewGuid().ToString("N")[..6] + ".pgm");
        Tools.Run("dcm2pnm", temp.Path, [.. window, "+opw", nativePath, output]);
        return Pgm.Read(output).Values;
    }
}
