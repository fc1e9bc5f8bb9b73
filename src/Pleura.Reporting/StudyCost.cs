using Pleura.Store;

namespace Pleura.Reporting;

/// <summary>
/// Where one level's training time went: the epochs of stage 1 (the head, on the frozen layers' cached activations)
/// and of stage 2 (the unfrozen layers), and the rest of each trial (reading inputs, caching activations, scoring,
/// saving), with the largest resident memory any of its epochs saw.
/// </summary>
public sealed record LevelCost(string Level, int Trials, double TrialSeconds, double Stage1Seconds, double Stage2Seconds, double PeakResidentMb)
{
    /// <summary>Trial time outside the epochs. Never below 0: a trial resumed after a stop counts only its last run's
    /// time, while its epochs keep the seconds of every run.</summary>
    public double OtherSeconds => Math.Max(0, TrialSeconds - Stage1Seconds - Stage2Seconds);
}

public static class StudyCost
{
    /// <summary>The finished trials' time per level that first asked for them (levels 2-3 reuse earlier trials).</summary>
    public static IReadOnlyList<LevelCost> ByLevel(IReadOnlyList<TrialRecord> trials, Func<string, IReadOnlyList<EpochLog>> epochs) =>
        trials.Where(t => t.Status == TrialStatus.Done).GroupBy(t => t.Level).OrderBy(g => g.Key).Select(g =>
        {
            var logs = g.SelectMany(t => epochs(t.Hash)).ToList();
            return new LevelCost(g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), g.Count(), g.Sum(t => t.Seconds),
                logs.Where(e => e.Stage == 1).Sum(e => e.Seconds), logs.Where(e => e.Stage == 2).Sum(e => e.Seconds),
                logs.Count == 0 ? double.NaN : logs.Max(e => e.ResidentMb));
        }).ToList();
}
