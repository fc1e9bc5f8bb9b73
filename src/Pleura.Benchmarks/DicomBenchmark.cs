using System.Diagnostics;
using Pleura.Dicom;
using Pleura.Dicom.Rendering;
using Pleura.DicomWorkflows;
using Pleura.Files;

namespace Pleura.Benchmarks;

/// <summary>
/// One transfer syntax at one thread count: images per second for Pleura (read, decode, min-max render to 16 bits,
/// in process) and for dcmtk's dcm2pnm on the same files (one process per image writing a 16-bit PGM to /dev/null with
/// the same min-max window; its start-up is part of its time). dcm2pnm is built in three flavours in Debian, one per
/// codec family: dcm2pnm (native, RLE), dcmj2pnm (JPEG), dcml2pnm (JPEG-LS); <see cref="DcmtkTool"/> names the one
/// used. dcmtk 3.6.7 has no JPEG 2000 decoder: null there, with the reason in <see cref="DcmtkNote"/>.
/// </summary>
public sealed record DicomBenchRow(string TransferSyntax, int Files, double MegapixelsPerImage, int Threads, double PleuraImagesPerSecond,
    string? DcmtkTool, double? DcmtkImagesPerSecond, string? DcmtkNote)
{
    public double? Ratio => DcmtkImagesPerSecond is { } d && d > 0 ? PleuraImagesPerSecond / d : null;
}

/// <summary>`pleura bench dicom`: decode throughput per transfer syntax, Pleura against dcm2pnm, same files, same run.</summary>
public static class DicomBenchmark
{
    /// <summary>The dcm2pnm flavour that decodes an encoding, or null (JPEG 2000: none in dcmtk 3.6.7).</summary>
    public static string? DcmtkTool(PixelEncoding encoding) => encoding switch
    {
        PixelEncoding.Native or PixelEncoding.Rle => "dcm2pnm",
        PixelEncoding.Jpeg or PixelEncoding.JpegLossless => "dcmj2pnm",
        PixelEncoding.JpegLs => "dcml2pnm",
        _ => null,
    };

    /// <summary>The DICOM files of <paramref name="folder"/> (any names; not DICOM and DICOMDIR skipped) by transfer syntax name, in the order of <see cref="TransferSyntax.All"/>.</summary>
    public static List<(string Syntax, PixelEncoding Encoding, List<string> Files)> Files(string folder)
    {
        var bySyntax = new Dictionary<string, (PixelEncoding Encoding, List<string> Files)>();
        foreach (var file in DicomIngest.Files(folder))
        {
            DicomFile dicom;
            try { dicom = DicomFileReader.Read(file); }
            catch (DicomReadException) { continue; }
            if (!dicom.Dataset.Contains(DicomTag.PixelData)) continue;
            var name = dicom.TransferSyntax.Name + (dicom.HasFileMeta ? "" : " (bare dataset)");
            if (!bySyntax.TryGetValue(name, out var group)) bySyntax[name] = group = (dicom.TransferSyntax.Pixels, []);
            group.Files.Add(file);
        }
        return bySyntax.OrderBy(g => TransferSyntaxOrder(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Value.Encoding, g.Value.Files)).ToList();
    }

    static int TransferSyntaxOrder(string name)
    {
        var all = TransferSyntax.All.ToList();
        int i = all.FindIndex(t => name.StartsWith(t.Name, StringComparison.Ordinal));
        return i < 0 ? int.MaxValue : i;
    }

    /// <summary>Whether a tool is on the PATH.</summary>
    public static bool HasTool(string tool = "dcm2pnm") =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));

    /// <param name="seconds">Each measurement repeats passes over the syntax's files until at least this long has passed.</param>
    public static List<DicomBenchRow> Run(string folder, IReadOnlyList<int> threadCounts, double seconds = 2, bool dcmtk = true, Action<string>? log = null)
    {
        var groups = Files(folder);
        if (groups.Count == 0) throw new InvalidDataException($"{folder}: no DICOM image files");
        var rows = new List<DicomBenchRow>();
        foreach (var (syntax, encoding, files) in groups)
        {
            var first = DicomRenderer.Render(files[0], new RenderOptions(MinMax: true)); // warm-up (codec libraries loaded, JIT)
            double megapixels = files.Average(f => { var d = DicomFileReader.Read(f).Dataset; return (d.Rows ?? 0) * (double)(d.Columns ?? 0) / 1e6; });
            var tool = DcmtkTool(encoding);
            string? dcmtkNote = !dcmtk ? "not measured" : tool is null ? "dcmtk 3.6.7 has no JPEG 2000 decoder" : !HasTool(tool) ? $"{tool} not installed"
                : Decodes(tool, files[0]);
            foreach (int threads in threadCounts)
            {
                double pleura = Throughput(files, threads, seconds, f => DicomRenderer.Render(f, new RenderOptions(MinMax: true)));
                double? reference = dcmtkNote is null ? Throughput(files, threads, seconds, f => RunDcmtk(tool!, f)) : null;
                rows.Add(new DicomBenchRow(syntax, files.Count, megapixels, threads, pleura, tool, reference, dcmtkNote));
                log?.Invoke($"{syntax}, {threads} thread(s): Pleura {pleura:0.0} images/s, {tool ?? "dcmtk"} {(reference is { } r ? r.ToString("0.0") : dcmtkNote)}");
            }
            GC.KeepAlive(first);
        }
        return rows;
    }

    /// <summary>Images per second: passes over the files with <paramref name="threads"/> workers until <paramref name="seconds"/> have passed.</summary>
    static double Throughput(IReadOnlyList<string> files, int threads, double seconds, Action<string> work)
    {
        var clock = Stopwatch.StartNew();
        long images = 0;
        do
        {
            Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = threads }, f => work(f));
            images += files.Count;
        } while (clock.Elapsed.TotalSeconds < seconds);
        return images / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Null when the tool renders the file, else why not.</summary>
    static string? Decodes(string tool, string file)
    {
        try { RunDcmtk(tool, file); return null; }
        catch (InvalidOperationException e) { return $"{tool} cannot render it: " + e.Message.Split('\n')[0]; }
    }

    /// <summary>The rows as CSV (invariant numbers; a missing dcmtk figure left empty, its reason under note).</summary>
    public static void WriteCsv(string path, IEnumerable<DicomBenchRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var text = new System.Text.StringBuilder("transfer_syntax,files,megapixels_per_image,threads,pleura_images_per_s,dcmtk_tool,dcmtk_images_per_s,note\n");
        foreach (var r in rows)
            text.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"{Pleura.Data.CsvText.Field(r.TransferSyntax)},{r.Files},{r.MegapixelsPerImage:0.000},{r.Threads},{r.PleuraImagesPerSecond:0.00},{r.DcmtkTool},{r.DcmtkImagesPerSecond:0.00},{Pleura.Data.CsvText.Field(r.DcmtkNote ?? "")}\n");
        AtomicFile.WriteAllText(path, text.ToString());
    }

    static void RunDcmtk(string tool, string file)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "+Wm", "+opw", file, "/dev/null" }) start.ArgumentList.Add(a);
        using var p = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file}: exit {p.ExitCode}: {(stderr + stdout.Result).Trim()}");
    }
}
