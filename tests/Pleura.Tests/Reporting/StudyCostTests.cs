using Pleura.Reporting;
using Pleura.Store;

namespace Pleura.Tests.Reporting;

public class StudyCostTests
{
    static TrialRecord Trial(string hash, int level, double seconds, string status = TrialStatus.Done) =>
        new() { Hash = hash, Study = "s", Level = level, Combination = "c", Status = status, Seconds = seconds };

    static EpochLog Epoch(string hash, int stage, double seconds, double residentMb) => new(hash, stage, 1, 1e-3, 1, 1, 1, 0.5, seconds, residentMb);

    [Fact]
    public void EachLevelSplitsItsFinishedTrialsTimeIntoStagesAndTheRest()
    {
        var trials = new[] { Trial("a", 1, 100), Trial("b", 1, 50), Trial("c", 3, 10), Trial("q", 1, 0, TrialStatus.Queued) };
        var epochs = new Dictionary<string, IReadOnlyList<EpochLog>>
        {
            ["a"] = [Epoch("a", 1, 2, 900), Epoch("a", 2, 60, 1500)],
            ["b"] = [Epoch("b", 1, 1, 800), Epoch("b", 2, 30, 1200)],
            // Resumed after a stop: its epochs hold more time than its last run; the rest is 0, not negative.
            ["c"] = [Epoch("c", 2, 25, 2000)],
            ["q"] = [Epoch("q", 1, 99, 9999)],
        };
        var cost = StudyCost.ByLevel(trials, h => epochs[h]);
        Assert.Equal(["1", "3"], cost.Select(c => c.Level));
        var first = cost[0];
        Assert.Equal((2, 150.0, 3.0, 90.0, 57.0, 1500.0), (first.Trials, first.TrialSeconds, first.Stage1Seconds, first.Stage2Seconds, first.OtherSeconds, first.PeakResidentMb));
        Assert.Equal(0, cost[1].OtherSeconds);
        Assert.Equal(2000, cost[1].PeakResidentMb);
    }
}
