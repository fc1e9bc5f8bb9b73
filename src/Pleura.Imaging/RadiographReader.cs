using NetVips;

namespace Pleura.Imaging;

/// <summary>
/// Reads radiographs (PNG 8/16-bit, JPEG, TIFF and the other rasters libvips knows) as grey images.
/// Colour is converted to grey with libvips' luminance transform; alpha is flattened onto black.
/// Every failure becomes an <see cref="ImageReadException"/> naming the file and the reason.
/// </summary>
public static class RadiographReader
{
    /// <summary>
    /// The smallest width or height read as a radiograph: below it there is nothing a model can judge (a 1x1 image
    /// would still be graded, confidently), so such files are refused with that reason.
    /// </summary>
    public const int MinimumSide = 32;

    static RadiographReader()
    {
        // Pleura reads each file once; libvips' operation cache would only hold memory.
        Cache.Max = 0;
        // libvips' warnings go to stderr as raw "VIPS-WARNING" lines; failures reach the user as ImageReadException instead.
        NetVips.Log.SetLogHandler("VIPS", NetVips.Enums.LogLevelFlags.Warning, (_, _, _) => { });
    }

    /// <summary>Threads libvips may use inside one operation. Batch jobs parallelise over images instead.</summary>
    public static int VipsThreads
    {
        get => NetVips.NetVips.Concurrency;
        set => NetVips.NetVips.Concurrency = Math.Max(1, value);
    }

    static readonly string[] ImageExtensions = { ".png", ".jpg", ".jpeg", ".tif", ".tiff" };

    /// <summary>The image files (PNG, JPEG, TIFF) in a folder, sorted by path; with <paramref name="recursive"/>, in its subfolders too.</summary>
    public static List<string> ImageFiles(string folder, bool recursive = false) =>
        Directory.EnumerateFiles(folder, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).OrderBy(f => f, StringComparer.Ordinal).ToList();

    /// <summary>Reads the whole image at its own size.</summary>
    public static GreyImage Read(string path) => Load(path, null);

    /// <summary>
    /// Reads and resizes to exactly <paramref name="width"/> x <paramref name="height"/> (aspect ratio not kept, as
    /// models take a fixed square input). Downsizing uses libvips' shrink-on-load where the format allows, then a
    /// Lanczos-3 reduction, which keeps fine lung texture without aliasing.
    /// </summary>
    public static GreyImage ReadResized(string path, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"target size must be positive, got {width}x{height}");
        return Load(path, (width, height));
    }

    static GreyImage Load(string path, (int Width, int Height)? target)
    {
        CheckFile(path);
        try
        {
            using var decoded = target is { } t
                ? Image.Thumbnail(path, t.Width, t.Height, size: Enums.Size.Force, noRotate: true, failOn: Enums.FailOn.Error)
                : Image.NewFromFile(path, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error);
            using var grey = ToGrey(decoded);
            return ToGreyImage(grey);
        }
        catch (VipsException e)
        {
            throw new ImageReadException(path, "corrupt or truncated image: " + Reason(e.Message), e);
        }
    }

    static void CheckFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new ImageReadException(path, Directory.Exists(path) ? "is a folder, not an image file" : "file not found");
        if (info.Length == 0) throw new ImageReadException(path, "file is empty (0 bytes)");
        if (IsDicom(path))
            throw new ImageReadException(path, "a DICOM file: Pleura does not read DICOM yet; convert it to a 16-bit PNG first (e.g. dcmj2pnm --write-16-bit-png)");
        string? loader;
        try { loader = Image.FindLoad(path); }
        catch (Exception e) { throw new ImageReadException(path, "cannot be opened: " + e.Message, e); }
        if (loader is null) throw new ImageReadException(path, "not a recognised image format (expected PNG, JPEG or TIFF)");
        int width, height;
        try
        {
            using var header = Image.NewFromFile(path, access: Enums.Access.Sequential);
            (width, height) = (header.Width, header.Height);
        }
        catch (VipsException e) { throw new ImageReadException(path, "corrupt or truncated image: " + Reason(e.Message), e); }
        if (width < MinimumSide || height < MinimumSide)
            throw new ImageReadException(path, $"too small to be a radiograph: {width}x{height} pixels (at least {MinimumSide}x{MinimumSide})");
    }

    /// <summary>Part 10 DICOM files carry "DICM" after a 128-byte preamble.</summary>
    public static bool IsDicom(string path)
    {
        using var stream = File.OpenRead(path);
        if (stream.Length < 132) return false;
        Span<byte> magic = stackalloc byte[4];
        stream.Position = 128;
        stream.ReadExactly(magic);
        return magic.SequenceEqual("DICM"u8);
    }

    static Image ToGrey(Image image)
    {
        var current = image.HasAlpha() ? image.Flatten(background: new double[] { 0 }) : image.Copy();
        if (current.Bands == 1) return current;
        bool sixteen = current.Format == Enums.BandFormat.Ushort;
        var grey = current.Colourspace(sixteen ? Enums.Interpretation.Grey16 : Enums.Interpretation.Bw);
        current.Dispose();
        return grey.Bands == 1 ? grey : grey.ExtractBand(0);
    }

    static GreyImage ToGreyImage(Image grey)
    {
        int w = grey.Width, h = grey.Height;
        var pixels = new float[w * h];
        switch (grey.Format)
        {
            case Enums.BandFormat.Uchar:
            {
                var bytes = grey.WriteToMemory<byte>();
                for (int i = 0; i < pixels.Length; i++) pixels[i] = bytes[i] / 255f;
                return new GreyImage(w, h, pixels, 8);
            }
            case Enums.BandFormat.Ushort:
            {
                var values = grey.WriteToMemory<ushort>();
                for (int i = 0; i < pixels.Length; i++) pixels[i] = values[i] / 65535f;
                return new GreyImage(w, h, pixels, 16);
            }
            default:
            {
                // Float or other formats (e.g. resampled 16-bit): scale by the format's nominal range.
                double max = grey.Interpretation == Enums.Interpretation.Grey16 ? 65535.0 : 255.0;
                using var asFloat = grey.Cast(Enums.BandFormat.Float);
                var values = asFloat.WriteToMemory<float>();
                for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)Math.Clamp(values[i] / max, 0.0, 1.0);
                return new GreyImage(w, h, pixels, max > 255 ? 16 : 8);
            }
        }
    }

    /// <summary>
    /// libvips' message in words: its first line is often only "unable to write to memory"; the loader's own line
    /// ("pngload: libpng read error", "out of data") says what is wrong with the file.
    /// </summary>
    static string Reason(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = lines.FirstOrDefault(l => l.Contains("load", StringComparison.Ordinal) || l.Contains("read error", StringComparison.Ordinal)
                                             || l.Contains("out of data", StringComparison.Ordinal) || l.Contains("truncated", StringComparison.OrdinalIgnoreCase))
                   ?? lines.FirstOrDefault() ?? message;
        line = line.Replace("VipsForeignLoad: ", "");
        return line.Length > 300 ? line[..300] : line;
    }
}
