using System.Globalization;
using System.Text;
using Pleura.Store;
using Pleura.Study;

namespace Pleura.Cluster;

/// <summary>How the submitting command reaches the cluster and starts pleura in its tasks.</summary>
public sealed record SlurmOptions
{
    /// <summary>The study file, as tasks read it (a path every node sees).</summary>
    public required string StudyFile { get; init; }
    /// <summary>The study folder (split, trial folders), shared by every node.</summary>
    public required string Folder { get; init; }
    /// <summary>The store every task writes to; null for the study file's (or STUDY_FOLDER/study.db on a shared filesystem).</summary>
    public string? Store { get; init; }
    /// <summary>Overrides the study file's slurm.partition and slurm.max_parallel.</summary>
    public string? Partition { get; init; }
    public int? MaxParallel { get; init; }
    /// <summary>How a task starts pleura: the executable and its first arguments (see <see cref="PleuraCommand"/>).</summary>
    public IReadOnlyList<string> Command { get; init; } = PleuraCommand.Current();
    /// <summary>How often squeue is asked while a job runs.</summary>
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(3);
}

/// <summary>
/// Runs a level's trials as one Slurm job array per round: each task runs `pleura study trial STUDY --next`, which
/// claims one queued trial from the shared store. The submitter follows the array with squeue and reports progress;
/// when it has left the queue, trials that failed or whose task died (still 'running' under a task Slurm no longer
/// runs) go back in the queue and a new array is submitted, up to slurm.retries more rounds. Claims are atomic in the
/// store, so a second submitter, or a rerun, never trains a trial twice: surplus tasks find nothing queued and end.
/// </summary>
public sealed class SlurmExecutor(SlurmOptions options, SlurmClient? client = null) : ITrialExecutor
{
    readonly SlurmClient _slurm = client ?? new SlurmClient();

    public const string WorkerPrefix = "slurm:";

    /// <summary>The worker name a task records in the store: its array job and task id.</summary>
    public static string? TaskWorker()
    {
        var job = Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID");
        var task = Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID");
        var single = Environment.GetEnvironmentVariable("SLURM_JOB_ID");
        return job is not null && task is not null ? $"{WorkerPrefix}{job}_{task}" : single is not null ? $"{WorkerPrefix}{single}" : null;
    }

    public void Run(StudyContext context, string level, IReadOnlyList<TrialPlan> trials, CancellationToken cancel)
    {
        var spec = context.Spec.Slurm;
        var hashes = trials.Select(t => t.Hash).ToHashSet();
        int submissions = 0;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            // Failed trials get another task while submissions are left (the first also retries those of earlier runs).
            bool more = submissions <= spec.Retries;
            int dead = RequeueDeadTasks(context);
            int retried = more ? context.Store.Retry(Mine(context, hashes).Where(t => t.Status == TrialStatus.Failed).Select(t => t.Hash)) : 0;
            var mine = Mine(context, hashes);
            int done = mine.Count(t => t.Status == TrialStatus.Done), queued = mine.Count(t => t.Status == TrialStatus.Queued), running = mine.Count(t => t.Status == TrialStatus.Running);
            context.Log($"level {level}: {trials.Count} trials, {done} done, {running} running elsewhere, {queued} to submit" +
                        (dead + retried > 0 ? $" ({dead} left by a dead task and {retried} failed put back in the queue)" : ""));
            if (queued == 0 && running == 0) return;
            if (queued > 0 && !more)
            {
                // Trials whose task died in the last round: failed with why, so the level's scoring sees them as such.
                foreach (var t in mine.Where(t => t.Status == TrialStatus.Queued))
                    context.Store.Fail(t.Hash, $"its Slurm task ended without finishing it, {submissions} submission(s) in a row");
                context.Log($"level {level}: {queued} trial(s) not done after {submissions} submission(s); see `pleura study status` and {Path.Combine(options.Folder, "slurm")}");
                continue;
            }
            if (queued > 0)
            {
                string job = Submit(context, level, submissions++, queued);
                Follow(context, level, job, hashes, trials.Count, cancel);
            }
            else
            {
                // Trials held by tasks of another submission (a second submitter, or a run before this one): wait for them.
                context.Log($"level {level}: waiting for {running} trial(s) running in other jobs");
                while (Mine(context, hashes).Any(t => t.Status == TrialStatus.Running) && RequeueDeadTasks(context) == 0)
                    Sleep(cancel);
            }
        }
    }

    static IReadOnlyList<TrialRecord> Mine(StudyContext context, HashSet<string> hashes) =>
        context.Store.Trials(context.Spec.Name).Where(t => hashes.Contains(t.Hash)).ToList();

    /// <summary>
    /// Trials left 'running' by a task that no longer runs (cancelled, killed for time or memory, its node lost) go back
    /// in the queue. The trials are read before squeue is asked, and the store puts a trial back only while the same
    /// worker still holds it, so a task that finishes in between is never undone.
    /// </summary>
    int RequeueDeadTasks(StudyContext context)
    {
        var active = new Dictionary<string, bool>();
        bool Gone(string worker)
        {
            if (!worker.StartsWith(WorkerPrefix, StringComparison.Ordinal)) return StudyRunner.WorkerIsGone(worker, self: false);
            string task = worker[WorkerPrefix.Length..];
            if (!active.TryGetValue(task, out bool alive))
            {
                string job = task.Split('_')[0];
                foreach (var t in _slurm.Tasks(job)) active[t.Id] = t.Active || t.Pending;
                alive = active.GetValueOrDefault(task);
                active[task] = alive;
            }
            return !alive;
        }
        return context.Store.Requeue(context.Spec.Name, Gone);
    }

    string Submit(StudyContext context, string level, int round, int tasks)
    {
        var spec = context.Spec.Slurm;
        string slurmFolder = Path.Combine(options.Folder, "slurm");
        Directory.CreateDirectory(slurmFolder);
        string script = Path.Combine(slurmFolder, $"level{level}-round{round}.sh");
        var command = options.Command.Concat(new[] { "study", "trial", Path.GetFullPath(options.StudyFile), "--next", "--folder", options.Folder });
        if (!string.IsNullOrWhiteSpace(options.Store)) command = command.Concat(new[] { "--store", options.Store });
        var text = new StringBuilder("#!/bin/sh\n")
            .Append("# A task of the study's job array: claims the next queued trial from the store, trains it, records it.\n")
            .Append("exec ").Append(string.Join(' ', command.Select(Quote))).Append(" --threads \"${SLURM_CPUS_PER_TASK:-1}\"\n");
        Pleura.Files.AtomicFile.WriteAllText(script, text.ToString());
        // The script may hold the store's connection string.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        int maxParallel = options.MaxParallel ?? spec.MaxParallel;
        string partition = options.Partition ?? spec.Partition;
        var args = new List<string>
        {
            $"--job-name=pleura-{context.Spec.Name}-L{level}", $"--array=0-{tasks - 1}{(maxParallel > 0 ? $"%{maxParallel}" : "")}",
            $"--cpus-per-task={spec.CpusPerTask}", $"--mem={spec.Memory}", $"--time={spec.Time}",
            $"--output={Path.Combine(slurmFolder, "%A_%a.log")}", $"--chdir={options.Folder}",
        };
        if (!string.IsNullOrWhiteSpace(partition)) args.Add($"--partition={partition}");
        args.AddRange(spec.Options);
        string job = _slurm.SubmitArray(script, args);
        context.Log($"level {level}: submitted Slurm job {job}: {tasks} task(s){(maxParallel > 0 ? $", at most {maxParallel} at once" : "")}, " +
                    $"{spec.CpusPerTask} cores, {spec.Memory}, {spec.Time} each; logs in {slurmFolder}");
        return job;
    }

    void Follow(StudyContext context, string level, string job, HashSet<string> hashes, int total, CancellationToken cancel)
    {
        string last = "";
        int unanswered = 0;
        while (true)
        {
            IReadOnlyList<SlurmTask> tasks;
            try
            {
                tasks = _slurm.Tasks(job);
                unanswered = 0;
            }
            catch (IOException e) when (++unanswered <= 20)
            {
                // The controller restarting or busy for a while: the tasks run on regardless; ask again.
                context.Log($"level {level}: job {job}: {e.Message} (asking again)");
                Sleep(cancel);
                continue;
            }
            var mine = Mine(context, hashes);
            string line = $"level {level}: job {job}: {mine.Count(t => t.Status == TrialStatus.Done)}/{total} done, " +
                          $"{tasks.Count(t => t.Active)} task(s) running, {tasks.Count(t => t.Pending)} pending, {mine.Count(t => t.Status == TrialStatus.Failed)} failed";
            if (line != last) context.Log(line);
            last = line;
            if (tasks.Count == 0) return;
            if (cancel.IsCancellationRequested)
            {
                context.Log($"level {level}: stopped following; job {job} keeps running (scancel {job} to stop it); run the study again to follow it");
                cancel.ThrowIfCancellationRequested();
            }
            Sleep(cancel);
        }
    }

    void Sleep(CancellationToken cancel) => cancel.WaitHandle.WaitOne(options.Poll);

    static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>How this pleura was started, so that cluster tasks start the same one.</summary>
public static class PleuraCommand
{
    /// <summary>
    /// PLEURA_COMMAND (a whitespace-separated command) when set; else this process's executable when it is pleura's
    /// own apphost; else the dotnet host running pleura.dll from beside this assembly (`dotnet pleura.dll`, and test hosts).
    /// </summary>
    public static IReadOnlyList<string> Current()
    {
        if (Environment.GetEnvironmentVariable("PLEURA_COMMAND") is { Length: > 0 } set)
            return set.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string? process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "pleura") return new[] { process };
        string dll = Path.Combine(AppContext.BaseDirectory, "pleura.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"cannot tell how cluster tasks should start pleura: {process} is not pleura and there is no {dll}; set PLEURA_COMMAND (e.g. '/opt/pleura/pleura')");
        string host = process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h
            : "dotnet";
        return new[] { host, dll };
    }
}
