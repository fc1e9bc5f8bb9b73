using System.Diagnostics;
using Pleura.Store;

namespace Pleura.Study;

/// <summary>
/// Runs a level's trials, one after another (each using every core for its tensor arithmetic) or on several workers
/// (the cores shared out between them), skipping those the store has done, and reports the grid: done, running,
/// queued, and an ETA from the trials timed so far.
/// </summary>
public static class TrialQueue
{
    public static void RunAll(StudyContext context, string level, IReadOnlyList<TrialPlan> trials, CancellationToken cancel)
    {
        foreach (var t in trials)
            context.Store.Enqueue(new TrialRecord
            {
                Hash = t.Hash, Study = context.Spec.Name, Level = t.Level, Combination = t.Combination.Key, Roi = t.Combination.RoiName,
                Balancing = t.Combination.BalancingName, Backbone = t.Combination.Backbone, Side = t.Side, Fold = t.Fold,
                ConfigJson = System.Text.Json.JsonSerializer.Serialize(t.Config, StudySpec.CompactJson),
            });
        if (context.Executor is { } executor)
        {
            executor.Run(context, level, trials, cancel);
            return;
        }
        var pending = trials.Where(t => context.Store.Trial(t.Hash)?.Status != TrialStatus.Done).ToList();
        int done = trials.Count - pending.Count, running = 0, ran = 0;
        context.Log($"level {level}: {trials.Count} trials, {done} already done, {pending.Count} to run" +
                    (context.Workers > 1 ? $" on {context.Workers} workers" : ""));
        var clock = Stopwatch.StartNew();
        var gate = new object();
        void RunOne(TrialPlan trial)
        {
            cancel.ThrowIfCancellationRequested();
            if (!context.Store.TryClaim(trial.Hash, context.Worker))
            {
                context.Log($"level {level}: {trial.Label} is held by another worker; skipped here");
                return;
            }
            lock (gate) running++;
            context.Log($"level {level}: running {trial.Label}");
            RunClaimed(context, level, trial, cancel);
            string line;
            lock (gate)
            {
                running--;
                ran++;
                done++;
                double perTrial = clock.Elapsed.TotalSeconds / ran;
                int queued = pending.Count - ran - running;
                line = $"level {level}: {done}/{trials.Count} done, {running} running, {queued} queued; ETA " +
                       $"{TimeSpan.FromSeconds(perTrial * (queued + running) / Math.Max(1, context.Workers)):hh\\:mm\\:ss}";
            }
            context.Log(line);
        }

        if (context.Workers <= 1)
            foreach (var trial in pending) RunOne(trial);
        else
            Parallel.ForEach(pending, new ParallelOptions { MaxDegreeOfParallelism = context.Workers, CancellationToken = cancel }, RunOne);
    }

    /// <summary>Trains a trial this worker has claimed and records how it ended: done, failed with its reason, or back in the queue when stopped.</summary>
    public static void RunClaimed(StudyContext context, string level, TrialPlan trial, CancellationToken cancel)
    {
        try
        {
            TrialRunner.Run(context, trial, cancel);
        }
        catch (OperationCanceledException)
        {
            context.Store.Requeue(context.Spec.Name, w => w == context.Worker);
            throw;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or InvalidOperationException
                                      or System.Runtime.InteropServices.ExternalException)
        {
            // A trial that cannot run (bad data, or an error inside libtorch) is recorded with its reason and the rest
            // of the grid goes on; running the study again retries failed trials.
            context.Store.Fail(trial.Hash, e.Message);
            context.Log($"level {level}: FAILED {trial.Label}: {e.Message}");
        }
    }
}
