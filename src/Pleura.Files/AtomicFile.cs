namespace Pleura.Files;

/// <summary>
/// Writes an output under a temporary name beside its destination and renames it when complete, so that a crash, a
/// Ctrl+C or a failed command never leaves a half-written file or replaces an earlier result with a broken one.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, temp => File.WriteAllBytes(temp, bytes));

    public static void WriteAllLines(string path, IEnumerable<string> lines) => Write(path, temp => File.WriteAllLines(temp, lines));

    /// <summary>
    /// Deletes the temporary files in <paramref name="folder"/> (not its subfolders) that a process no longer running
    /// left behind when it was killed mid-write (SIGKILL, a power cut); returns how many.
    /// </summary>
    public static int RemoveAbandoned(string folder)
    {
        if (!Directory.Exists(folder)) return 0;
        int removed = 0;
        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            var parts = Path.GetFileName(file).Split('.');
            if (parts.Length < 4 || !int.TryParse(parts[^2], out int pid) || pid == Environment.ProcessId || IsRunning(pid)) continue;
            File.Delete(file);
            removed++;
        }
        return removed;
    }

    static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
    }

    /// <summary>Runs <paramref name="write"/> on a temporary path in the destination's folder, then moves it into place.</summary>
    public static void Write(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        // The random part keeps two threads of one process (two submitters of one study) off each other's temp file;
        // the process id stays second to last, where RemoveAbandoned reads it.
        var unique = Guid.NewGuid().ToString("N")[..12];
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{unique}.{Environment.ProcessId}.tmp");
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
