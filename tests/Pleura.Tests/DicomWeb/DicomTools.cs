using System.Diagnostics;
using System.Text;

namespace Pleura.Tests.DicomWeb;

/// <summary>dcmtk's dcmdump and dsrdump as independent checks of what Pleura wrote.</summary>
internal static class DicomTools
{
    public static bool Available(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));

    public static void Require(params string[] tools)
    {
        foreach (var tool in tools) Skip.IfNot(Available(tool), $"{tool} is not installed (Debian: apt-get install dcmtk)");
    }

    /// <summary>The tool's output; fails on a non-zero exit or an error / warning line ("E: " / "W: ").</summary>
    public static string Run(string tool, params string[] args)
    {
        var (code, output) = Execute(tool, args);
        Assert.True(code == 0, $"{tool} exited {code}:\n{output}");
        var complaints = output.Split('\n').Where(l => l.StartsWith("E: ", StringComparison.Ordinal) || l.StartsWith("W: ", StringComparison.Ordinal)).ToList();
        Assert.True(complaints.Count == 0, $"{tool} complained:\n{string.Join('\n', complaints)}");
        return output;
    }

    /// <summary>The exit code and everything the tool printed.</summary>
    public static (int Code, string Output) Execute(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd() + stderr.Result;
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}
