using NetVips;
using Pleura.Dicom;
using Pleura.Dicom.Rendering;

namespace Pleura.Imaging;

/// <summary>
/// Reads radiographs (PNG 8/16-bit, JPEG, TIFF and the other rasters libvips knows, and DICOM) as grey images.
/// Colour is converted to grey with libvips' luminance transform; alpha is flattened onto black. DICOM files (Part 10,
/// or bare datasets) are rendered by <see cref="DicomRenderer"/> with its default VOI choice (the file's first window,
/// else its VOI LUT, else min-max) into a 16-bit image, then resized by libvips as a 16-bit PNG would be.
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
    static readonly string[] DicomExtensions = { ".dcm", ".dicom" };

    /// <summary>
    /// The image files in a folder, sorted by path; with <paramref name="recursive"/>, in its subfolders too: PNG, JPEG,
    /// TIFF and DICOM (.dcm / .dicom, and files without an extension that carry the "DICM" marker, as PACS exports
    /// name them; DICOMDIR index files are left out).
    /// </summary>
    public static List<string> ImageFiles(string folder, bool recursive = false) =>
        Directory.EnumerateFiles(folder, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(IsListedImage).OrderBy(f => f, StringComparer.Ordinal).ToList();

    static bool IsListedImage(string file)
    {
        var extension = Path.GetExtension(file).ToLowerInvariant();
        if (ImageExtensions.Contains(extension)) return true;
        if (IsDicomDir(file)) return false;
        if (DicomExtensions.Contains(extension)) return true;
        // Without an extension: Part 10 by its marker, or a bare dataset (old ACR-NEMA style exports) by its first element.
        return extension.Length == 0 && (HasDicomMarker(file) || DicomFileReader.LooksLikeBareDataset(file));
    }

    /// <summary>A DICOMDIR (the index of a DICOM medium, not an image), by its name.</summary>
    public static bool IsDicomDir(string path) => string.Equals(Path.GetFileName(path), "DICOMDIR", StringComparison.OrdinalIgnoreCase);

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
        if (CheckFile(path)) return LoadDicom(path, target);
        try
        {
            return VipsCalls.Run(() =>
            {
                if (target is { } t && !IsSixteenBit(path))
                {
                    using var thumbnail = Image.Thumbnail(path, t.Width, t.Height, size: Enums.Size.Force, noRotate: true, failOn: Enums.FailOn.Error);
                    using var small = ToGrey(thumbnail);
                    return ToGreyImage(small);
                }
                using var decoded = Image.NewFromFile(path, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error);
                using var grey = ToGrey(decoded);
                if (target is not { } size) return ToGreyImage(grey);
                using var resized = ResizeKeepingDepth(grey, size.Width, size.Height);
                return ToGreyImage(resized);
            });
        }
        catch (VipsException e)
        {
            throw new ImageReadException(path, "corrupt or truncated image: " + Reason(e.Message), e);
        }
    }

    /// <summary>
    /// The image's width and height from its header alone, nothing decoded: lets a server refuse a decompression bomb
    /// (a small file that claims 50000 x 50000 pixels) before any pixel memory is taken. Errors as <see cref="Read"/>'s.
    /// </summary>
    public static (int Width, int Height) Dimensions(string path)
    {
        if (CheckFile(path))
        {
            DicomFile file;
            try { file = DicomFileReader.Read(path, readPixelData: false); }
            catch (DicomReadException e) { throw new ImageReadException(path, e.Reason, e); }
            int? columns = file.Dataset.GetInt(DicomTag.Columns), rows = file.Dataset.GetInt(DicomTag.Rows);
            if (columns is null || rows is null) throw new ImageReadException(path, "DICOM file has no image (no Rows/Columns)");
            return (columns.Value, rows.Value);
        }
        try { return HeaderSize(path); }
        catch (VipsException e) { throw new ImageReadException(path, "corrupt or truncated image: " + Reason(e.Message), e); }
    }

    static (int Width, int Height) HeaderSize(string path) => VipsCalls.Run(() =>
    {
        using var header = Image.NewFromFile(path, access: Enums.Access.Sequential);
        return (header.Width, header.Height);
    });

    /// <summary>Checks that the file can be read as an image; true when it is to be read as DICOM.</summary>
    static bool CheckFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new ImageReadException(path, Directory.Exists(path) ? "is a folder, not an image file" : "file not found");
        if (info.Length == 0) throw new ImageReadException(path, "file is empty (0 bytes)");
        if (IsDicom(path) || DicomExtensions.Contains(Path.GetExtension(path).ToLowerInvariant())) return true;
        string? loader;
        try { loader = VipsCalls.FindLoad(path); }
        catch (Exception e) { throw new ImageReadException(path, "cannot be opened: " + e.Message, e); }
        if (loader is null)
        {
            // A bare DICOM dataset (no preamble, no "DICM") is known by its first element.
            if (DicomFileReader.LooksLikeBareDataset(path)) return true;
            throw new ImageReadException(path, "not a recognised image format (expected PNG, JPEG, TIFF or DICOM)");
        }
        int width, height;
        try { (width, height) = HeaderSize(path); }
        catch (VipsException e) { throw new ImageReadException(path, "corrupt or truncated image: " + Reason(e.Message), e); }
        if (width < MinimumSide || height < MinimumSide)
            TooSmall(path, width, height);
        return false;
    }

    static void TooSmall(string path, int width, int height)
    {
        if (width < MinimumSide || height < MinimumSide)
            throw new ImageReadException(path, $"too small to be a radiograph: {width}x{height} pixels (at least {MinimumSide}x{MinimumSide})");
    }

    /// <summary>
    /// A DICOM file rendered to 16 bits (Modality LUT, the default VOI choice, MONOCHROME1 inverted), then resized as
    /// the same pixels saved as a 16-bit PNG would be.
    /// </summary>
    static GreyImage LoadDicom(string path, (int Width, int Height)? target)
    {
        var rendered = RenderDicom(path);
        if (target is null)
        {
            var pixels = new float[rendered.Pixels.Length];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = rendered.Pixels[i] / 65535f;
            return new GreyImage(rendered.Width, rendered.Height, pixels, 16);
        }
        return Resize16(rendered.Pixels, rendered.Width, rendered.Height, target.Value.Width, target.Value.Height, path);
    }

    /// <summary>
    /// 16-bit grey pixels (e.g. a rendered DICOM image) resized to exactly <paramref name="targetWidth"/> x
    /// <paramref name="targetHeight"/> as the same pixels read from a 16-bit PNG would be; <paramref name="source"/>
    /// names the image in an error.
    /// </summary>
    public static GreyImage Resize16(ushort[] pixels, int width, int height, int targetWidth, int targetHeight, string source)
    {
        try
        {
            return VipsCalls.Run(() =>
            {
                using var raw = Image.NewFromMemory(pixels, width, height, 1, Enums.BandFormat.Ushort);
                using var grey16 = raw.Copy(interpretation: Enums.Interpretation.Grey16);
                using var resized = ResizeKeepingDepth(grey16, targetWidth, targetHeight);
                return ToGreyImage(resized);
            });
        }
        catch (VipsException e)
        {
            throw new ImageReadException(source, "cannot be resized: " + Reason(e.Message), e);
        }
    }

    /// <summary>Whether the file holds 16-bit samples (16-bit PNG or TIFF), read from its header only.</summary>
    static bool IsSixteenBit(string path)
    {
        using var header = Image.NewFromFile(path, access: Enums.Access.Sequential);
        return header.Format is Enums.BandFormat.Ushort or Enums.BandFormat.Short;
    }

    /// <summary>
    /// Resizes to exactly width x height keeping 16-bit samples 16-bit: libvips' thumbnail returns 8 bits, which would
    /// throw away the precision of a 12-16-bit radiograph (or DICOM) before the model sees it. Same Lanczos-3 reduction.
    /// </summary>
    static Image ResizeKeepingDepth(Image image, int width, int height)
    {
        var resized = image.Resize(width / (double)image.Width, vscale: height / (double)image.Height, kernel: Enums.Kernel.Lanczos3);
        if (resized.Width == width && resized.Height == height) return resized;
        // Rounding of the scale can leave a pixel more or less at an edge.
        using (resized) return resized.Embed(0, 0, width, height, extend: Enums.Extend.Copy);
    }

    /// <summary>
    /// Renders a DICOM file as <see cref="Read"/> does (the default VOI choice, recorded in the result), refusing
    /// images below <see cref="MinimumSide"/>; reader errors become <see cref="ImageReadException"/> with the reason.
    /// </summary>
    public static GreyImage16 RenderDicom(string path, RenderOptions? options = null)
    {
        GreyImage16 rendered;
        try { rendered = DicomRenderer.Render(path, options); }
        catch (DicomReadException e) { throw new ImageReadException(path, e.Reason, e); }
        TooSmall(path, rendered.Width, rendered.Height);
        return rendered;
    }

    /// <summary>Part 10 DICOM files carry "DICM" after a 128-byte preamble (or, without the preamble, at the start).</summary>
    public static bool IsDicom(string path) => HasDicomMarker(path);

    static bool HasDicomMarker(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> head = stackalloc byte[132];
            int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return n >= 132 && head[128..132].SequenceEqual("DICM"u8) || n >= 4 && head[..4].SequenceEqual("DICM"u8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
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
