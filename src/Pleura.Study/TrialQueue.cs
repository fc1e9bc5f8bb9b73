using System.Diagnostics;
using Pleura.Store;

namespace Pleura.Study;

/// <summary>
/// Runs a level's trials one after another (each already uses every core for its tensor arithmetic), skipping those the
/// store has done, and reports the grid: done, running, queued, and an ETA from the trials timed so far.
/// </summary>
public static class TrialQueue
{
    public static void RunAll(StudyContext context, string level, IReadOnlyList<TrialPlan> trials, CancellationToken cancel)
    {
        foreach (var t in trials)
            context.Store.Enqueue(new TrialRecord
            {
                Hash = t.Hash, Study = context.Spec.Name, Level = t.Level, Combination = t.Combination.Key, Roi = t.Combination.Roi,
                Balancing = t.Combination.Balancing, Backbone = t.Combination.Backbone, Side = t.Side, Fold = t.Fold,
                ConfigJson = System.Text.Json.JsonSerializer.Serialize(t.Config, StudySpec.CompactJson),
            });
        var pending = trials.Where(t => context.Store.Trial(t.Hash)?.Status != TrialStatus.Done).ToList();
        int done = trials.Count - pending.Count;
        context.Log($"level {level}: {trials.Count} trials, {done} already done, {pending.Count} to run");
        var clock = Stopwatch.StartNew();
        int ran = 0;
        foreach (var trial in pending)
        {
            cancel.ThrowIfCancellationRequested();
            if (!context.Store.TryClaim(trial.Hash, context.Worker))
            {
                context.Log($"level {level}: {trial.Label} is held by another worker; skipped here");
                continue;
            }
            context.Log($"level {level}: running {trial.Label} ({done + 1}/{trials.Count}, {pending.Count - ran - 1} queued)");
            try
            {
                TrialRunner.Run(context, trial, cancel);
            }
            catch (OperationCanceledException)
            {
                context.Store.Requeue(context.Spec.Name, w => w == context.Worker);
                throw;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or InvalidOperationException or Pleura.Imaging.ImageReadException)
            {
                // A trial that cannot run is recorded with its reason; the rest of the grid goes on.
                context.Store.Fail(trial.Hash, e.Message);
                context.Log($"level {level}: FAILED {trial.Label}: {e.Message}");
            }
            ran++;
            done++;
            double perTrial = clock.Elapsed.TotalSeconds / ran;
            context.Log($"level {level}: {done}/{trials.Count} done; ETA {TimeSpan.FromSeconds(perTrial * (pending.Count - ran)):hh\\:mm\\:ss}");
        }
    }
}
