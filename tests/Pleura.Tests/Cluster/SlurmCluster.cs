using System.Diagnostics;
using System.Globalization;

namespace Pleura.Tests.Cluster;

/// <summary>
/// A throwaway single-node Slurm cluster: a generated munge key and slurm.conf in a temporary folder (state, spool,
/// logs and the munge socket there too, free ports), munged, slurmctld and slurmd started, ready when sinfo shows the
/// node idle; SLURM_CONF points this process (and the tasks, which inherit it) at it. Stopped and deleted at the end.
/// <see cref="Unavailable"/> says why there is none (Slurm or munge not installed, a daemon that would not start).
/// </summary>
public sealed class SlurmCluster : IDisposable
{
    readonly TempFolder _folder = new();
    readonly List<string> _pidFiles = new();
    readonly string? _previousConf = Environment.GetEnvironmentVariable("SLURM_CONF");

    public string? Unavailable { get; }
    public string Conf => Path.Combine(_folder.Path, "slurm.conf");

    public SlurmCluster()
    {
        string? Find(string name) => new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin" }.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        if (OperatingSystem.IsWindows()) { Unavailable = "Slurm runs on Linux"; return; }
        var missing = new[] { "munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel" }.Where(n => Find(n) is null).ToList();
        if (missing.Count > 0) { Unavailable = $"Slurm is not installed (no {string.Join(", ", missing)}; apt-get install slurm-wlm munge)"; return; }
        string d = _folder.Path, munge = Path.Combine(d, "munge");
        Directory.CreateDirectory(munge);
        Directory.CreateDirectory(Path.Combine(d, "state"));
        Directory.CreateDirectory(Path.Combine(d, "spool"));
        File.WriteAllBytes(Path.Combine(munge, "munge.key"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024));
        File.SetUnixFileMode(Path.Combine(munge, "munge.key"), UnixFileMode.UserRead);
        File.SetUnixFileMode(munge, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string socket = Path.Combine(munge, "munge.sock");
        var started = Run(Find("munged")!, "--force", $"--socket={socket}", $"--key-file={Path.Combine(munge, "munge.key")}", $"--pid-file={Path.Combine(munge, "munged.pid")}",
            $"--log-file={Path.Combine(munge, "munged.log")}", $"--seed-file={Path.Combine(munge, "seed")}");
        if (started.Code != 0) { Unavailable = $"munged would not start: {started.Output}"; return; }
        _pidFiles.Add(Path.Combine(munge, "munged.pid"));

        string user = Environment.UserName;
        File.WriteAllText(Conf, string.Join('\n', new[]
        {
            "ClusterName=pleuratest", "SlurmctldHost=localhost", $"SlurmUser={user}", $"SlurmdUser={user}",
            $"SlurmctldPort={PostgreSqlServer.FreePort()}", $"SlurmdPort={PostgreSqlServer.FreePort()}",
            $"StateSaveLocation={d}/state", $"SlurmdSpoolDir={d}/spool", $"SlurmctldPidFile={d}/slurmctld.pid", $"SlurmdPidFile={d}/slurmd.pid",
            $"SlurmctldLogFile={d}/slurmctld.log", $"SlurmdLogFile={d}/slurmd.log", "AuthType=auth/munge", $"AuthInfo=socket={socket}", "CredType=cred/munge",
            "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core", "MpiDefault=none",
            "ReturnToService=2", "JobAcctGatherType=jobacct_gather/none", "AccountingStorageType=accounting_storage/none", "MinJobAge=600",
            $"NodeName=localhost CPUs={Environment.ProcessorCount} RealMemory=4000 State=UNKNOWN",
            "PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
        }) + "\n");
        Environment.SetEnvironmentVariable("SLURM_CONF", Conf);
        foreach (var (daemon, args) in new[] { ("slurmctld", new[] { "-f", Conf }), ("slurmd", new[] { "-f", Conf, "-N", "localhost" }) })
        {
            var result = Run(Find(daemon)!, args);
            if (result.Code != 0) { Unavailable = $"{daemon} would not start: {result.Output} {Log(daemon)}"; return; }
            _pidFiles.Add(Path.Combine(d, $"{daemon}.pid"));
        }
        var clock = Stopwatch.StartNew();
        string state = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            state = Run("sinfo", "-h", "-o", "%T").Output.Trim();
            if (state == "idle") return;
            Thread.Sleep(500);
        }
        Unavailable = $"the Slurm node did not become idle within 60 s (sinfo: '{state}'): {Log("slurmctld")} {Log("slurmd")}";
    }

    string Log(string daemon)
    {
        var path = Path.Combine(_folder.Path, $"{daemon}.log");
        return File.Exists(path) ? string.Join(" | ", File.ReadLines(path).TakeLast(5)) : "";
    }

    public static (int Code, string Output) Run(string command, params string[] args) => TestProcesses.Run(command, args);

    public void Dispose()
    {
        if (Unavailable is null) Run("scancel", "--user", Environment.UserName);
        // The daemons this fixture started, by the pids they wrote (slurmd first, munged last).
        foreach (var pidFile in Enumerable.Reverse(_pidFiles))
        {
            if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                process.WaitForExit(10_000);
            }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
        }
        Environment.SetEnvironmentVariable("SLURM_CONF", _previousConf);
        _folder.Dispose();
    }
}
