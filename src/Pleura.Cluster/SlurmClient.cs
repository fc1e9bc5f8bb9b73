using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace Pleura.Cluster;

/// <summary>A task of a job array as squeue lists it: "JOB_TASK" and its state (RUNNING, PENDING, ...).</summary>
public sealed record SlurmTask(string Id, string State)
{
    public bool Active => State is "RUNNING" or "COMPLETING" or "CONFIGURING" or "SUSPENDED" or "STOPPED" or "RESIZING";
    public bool Pending => State is "PENDING" or "REQUEUED" or "REQUEUE_HOLD" or "REQUEUE_FED";
}

/// <summary>
/// Slurm's client commands, run as processes. Every failure is an <see cref="IOException"/> that says which command,
/// what Slurm answered, and what to check (the commands missing, the controller down).
/// </summary>
public sealed class SlurmClient
{
    /// <summary>How long a command may take before the controller is called unresponsive.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Submits a job array; returns its job id.</summary>
    public string SubmitArray(string script, IEnumerable<string> options)
    {
        var (code, stdout, stderr) = Run("sbatch", options.Append("--parsable").Append(script).ToArray());
        if (code != 0) throw Failure("sbatch", stderr);
        // --parsable prints "JOBID" or "JOBID;CLUSTER".
        string id = stdout.Trim().Split(';')[0];
        return long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? id : throw new IOException($"sbatch answered '{stdout.Trim()}', not a job id");
    }

    /// <summary>The job's tasks still known to the controller (empty once every task has left the queue).</summary>
    public IReadOnlyList<SlurmTask> Tasks(string jobId)
    {
        var (code, stdout, stderr) = Run("squeue", "-h", "-r", "-j", jobId, "-o", "%i %T");
        // A job that ended a while ago is forgotten by the controller: squeue calls its id invalid.
        if (code != 0 && stderr.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase)) return Array.Empty<SlurmTask>();
        if (code != 0) throw Failure("squeue", stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2)).Where(p => p.Length == 2).Select(p => new SlurmTask(p[0], p[1])).ToList();
    }

    public void Cancel(string jobOrTask)
    {
        var (code, _, stderr) = Run("scancel", jobOrTask);
        if (code != 0) throw Failure("scancel", stderr);
    }

    static IOException Failure(string command, string stderr)
    {
        string said = stderr.Trim().Replace('\n', ' ');
        return said.Contains("contact slurm controller", StringComparison.OrdinalIgnoreCase) || said.Contains("Connection refused", StringComparison.OrdinalIgnoreCase)
            ? new IOException($"the Slurm controller does not answer ({command}: {said}); is slurmctld running, and does SLURM_CONF point at this cluster's slurm.conf?")
            : new IOException($"{command} failed: {said}");
    }

    (int Code, string Stdout, string Stderr) Run(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new IOException($"{command} could not be started");
        }
        catch (Win32Exception e)
        {
            throw new IOException($"{command} not found ({e.Message}): Slurm's client commands are not installed on this machine or not on PATH " +
                                  "(Debian: apt-get install slurm-client); --executor slurm submits through them", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(true);
                throw new IOException($"{command} did not answer within {Timeout.TotalSeconds:0} s; is the Slurm controller overloaded or down?");
            }
            return (process.ExitCode, stdout.Result, stderr);
        }
    }
}
