using System.Diagnostics;
using NetVips;

namespace Pleura.Tests.Dicom;

/// <summary>
/// DICOM files made by the tests from phantom PNGs with dcmtk's img2dcm (a JPEG baseline Secondary Capture) and
/// changed with dcmodify; tests that need them skip with a message when dcmtk is absent (CI installs it).
/// </summary>
public static class DicomPhantoms
{
    public static void RequireDcmtk()
    {
        foreach (var tool in new[] { "img2dcm", "dcmodify" })
            Skip.IfNot((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool))),
                $"{tool} is not installed (Debian: apt-get install dcmtk); the DICOM input tests need it to write DICOM files");
    }

    /// <summary>
    /// Writes <paramref name="png"/> as a DICOM file at <paramref name="dcm"/> with the given attributes
    /// ("Keyword=value", img2dcm's -k syntax). A "-" before a keyword removes it instead.
    /// </summary>
    public static string FromPng(string png, string dcm, params string[] keys)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(dcm))!);
        var jpeg = dcm + ".source.jpg";
        using (var image = Image.NewFromFile(png)) image.Jpegsave(jpeg, q: 95);
        var args = new List<string> { jpeg, dcm };
        foreach (var k in keys.Where(k => !k.StartsWith('-'))) { args.Add("-k"); args.Add(k); }
        Run("img2dcm", args.ToArray());
        File.Delete(jpeg);
        var removals = keys.Where(k => k.StartsWith('-')).SelectMany(k => new[] { "-ea", k[1..] }).ToArray();
        if (removals.Length > 0) Run("dcmodify", ["-nb", .. removals, dcm]);
        return dcm;
    }

    public static void Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited with {p.ExitCode}: {stderr}{stdout.Result}");
    }

    /// <summary>A 16-bit PNG's values.</summary>
    public static ushort[] Png16(string path)
    {
        using var image = Image.NewFromFile(path);
        Assert.Equal(Enums.BandFormat.Ushort, image.Format);
        return image.WriteToMemory<ushort>();
    }
}
