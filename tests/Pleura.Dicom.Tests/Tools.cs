using System.Diagnostics;

namespace Pleura.Dicom.Tests;

/// <summary>Runs the reference command-line tools (dcmtk, opj_decompress) as subprocesses.</summary>
public static class Tools
{
    public static bool Available(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, name)));

    /// <summary>Skips the calling test when a tool is missing (CI installs them: see .ci/run).</summary>
    public static void Require(params string[] names)
    {
        foreach (var name in names)
            Skip.IfNot(Available(name), $"{name} is not installed (Debian: apt-get install dcmtk libopenjp2-tools libjpeg-turbo-progs)");
    }

    /// <summary>A writable copy of <paramref name="path"/> in <paramref name="temp"/>, changed by dcmodify (no backup).</summary>
    public static string ModifiedCopy(string path, TempFolder temp, params string[] dcmodifyArgs)
    {
        var copy = temp.File("modified-" + Path.GetFileName(path));
        File.Copy(path, copy);
        File.SetAttributes(copy, FileAttributes.Normal);
        Run("dcmodify", temp.Path, ["-nb", .. dcmodifyArgs, copy]);
        return copy;
    }

    public static void Run(string tool, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(tool)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited with {p.ExitCode}: {stderr}{stdout.Result}");
    }
}

/// <summary>Reads a PGM (P2 ASCII or P5 binary, 8 or 16 bits) as dcm2pnm and opj_decompress write it.</summary>
public static class Pgm
{
    public static (int Width, int Height, int[] Values) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int pos = 0;
        string Token()
        {
            while (true)
            {
                while (char.IsWhiteSpace((char)bytes[pos])) pos++;
                if (bytes[pos] != '#') break;
                while (bytes[pos] != '\n') pos++;
            }
            int start = pos;
            while (pos < bytes.Length && !char.IsWhiteSpace((char)bytes[pos])) pos++;
            return System.Text.Encoding.ASCII.GetString(bytes, start, pos - start);
        }
        var magic = Token();
        int width = int.Parse(Token()), height = int.Parse(Token()), max = int.Parse(Token());
        var values = new int[width * height];
        if (magic == "P2")
        {
            for (int i = 0; i < values.Length; i++)
            {
                while (char.IsWhiteSpace((char)bytes[pos])) pos++;
                int v = 0;
                while (pos < bytes.Length && bytes[pos] >= '0' && bytes[pos] <= '9') v = v * 10 + bytes[pos++] - '0';
                values[i] = v;
            }
        }
        else if (magic == "P5")
        {
            pos++; // the single whitespace after maxval
            for (int i = 0; i < values.Length; i++)
                values[i] = max > 255 ? bytes[pos + 2 * i] << 8 | bytes[pos + 2 * i + 1] : bytes[pos + i];
        }
        else throw new InvalidDataException($"{path} is not a greyscale PGM ({magic})");
        return (width, height, values);
    }
}
