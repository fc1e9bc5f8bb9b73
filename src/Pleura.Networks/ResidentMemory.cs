namespace Pleura.Networks;

/// <summary>
/// The process's resident memory, native allocations included (libtorch's tensors live outside the .NET heap, so
/// GC figures alone would hide a tensor leak). Read from /proc on Linux; the working set elsewhere.
/// </summary>
public static class ResidentMemory
{
    public static double CurrentMegabytes() => Read("VmRSS:") ?? Environment.WorkingSet / 1048576.0;

    /// <summary>
    /// Resident memory after a full garbage collection with finalizers run, so tensors still waiting for a finalizer
    /// do not count: what remains is what the process really holds (a leak shows as steady growth).
    /// </summary>
    public static double AfterCollection()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return CurrentMegabytes();
    }

    /// <summary>Peak resident memory of the process so far.</summary>
    public static double PeakMegabytes() => Read("VmHWM:") ?? System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;

    static double? Read(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        foreach (var line in File.ReadLines(status))
            if (line.StartsWith(field, StringComparison.Ordinal) && long.TryParse(line[field.Length..].Trim().Split(' ')[0], out var kb))
                return kb / 1024.0;
        return null;
    }
}
