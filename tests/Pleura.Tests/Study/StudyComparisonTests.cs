using Pleura.Store;
using Pleura.Study;

namespace Pleura.Tests.Study;

public class StudyComparisonTests
{
    /// <summary>A store with finished trials of one combination on three folds and two sides, macro MAE given per fold.</summary>
    static SqlExperimentStore Store(TempFolder dir, string study, Func<int, double> macroMae, bool extraUnfinished = false)
    {
        var store = SqlExperimentStore.OpenSqlite(dir.File($"{study}.db"));
        foreach (var side in new[] { "left", "right" })
            for (int fold = 1; fold <= 3; fold++)
            {
                string hash = $"{study}-{side}-{fold}";
                store.Enqueue(new TrialRecord { Hash = hash, Study = study, Level = fold == 1 ? 1 : 2, Combination = "r / roi none / over", Side = side, Fold = fold });
                Assert.True(store.TryClaim(hash, "test"));
                store.Finish(hash, 1, "", new[]
                {
                    new MetricRecord(hash, "test", "macro_mae", macroMae(fold), 10),
                    new MetricRecord(hash, "validation", "macro_mae", 99, 10), // not the test part: ignored
                }, Array.Empty<EpochLog>());
            }
        if (extraUnfinished)
            store.Enqueue(new TrialRecord { Hash = $"{study}-queued", Study = study, Level = 2, Combination = "r / roi lung / over", Side = "left", Fold = 1 });
        return store;
    }

    [Fact]
    public void PairsTrialsBySideAndFoldOnTheirTestParts()
    {
        using var dir = new TempFolder();
        using var scratch = Store(dir, "scratch", fold => 1.0 + 0.1 * fold);
        using var pretrained = Store(dir, "pretrained", fold => 0.8 + 0.1 * fold + (fold == 2 ? 0.05 : 0), extraUnfinished: true);
        var row = Assert.Single(StudyComparison.Compare(scratch, "scratch", pretrained, "pretrained"));
        Assert.Equal("macro_mae", row.Metric);
        Assert.Equal(6, row.Difference.Pairs);
        Assert.Equal(1.2, row.First, 12);
        // Differences: -0.2 on folds 1 and 3, -0.15 on fold 2, on both sides.
        Assert.Equal(-0.55 / 3, row.Difference.Mean, 12);
        Assert.Equal(6, row.SecondBetter); // lower macro MAE is better
        Assert.True(row.Difference.Excludes0);

        using var other = Store(dir, "other", _ => 1);
        Assert.Throws<InvalidDataException>(() => StudyComparison.Compare(scratch, "scratch", other, "missing-name"));
    }

    [Fact]
    public void AStudyFileEditedInPlaceIsComparedOnTheTrialsOfItsLastSettings()
    {
        using var dir = new TempFolder();
        using var first = Store(dir, "first", fold => 1.0);
        // The second study ran with other settings, then again in its folder with today's: two finished trials per
        // combination, side and fold (it once failed with "An item with the same key has already been added").
        using var second = Store(dir, "second", fold => 2.0);
        foreach (var side in new[] { "left", "right" })
            for (int fold = 1; fold <= 3; fold++)
            {
                string hash = $"second-today-{side}-{fold}";
                second.Enqueue(new TrialRecord { Hash = hash, Study = "second", Level = fold == 1 ? 1 : 2, Combination = "r / roi none / over", Side = side, Fold = fold });
                Assert.True(second.TryClaim(hash, "test"));
                Thread.Sleep(5); // finished after the earlier settings' trials
                second.Finish(hash, 1, "", new[] { new MetricRecord(hash, "test", "macro_mae", 0.5, 10) }, Array.Empty<EpochLog>());
            }
        var row = Assert.Single(StudyComparison.Compare(first, "first", second, "second"));
        Assert.Equal(6, row.Difference.Pairs);
        Assert.Equal(-0.5, row.Difference.Mean, 12);
    }
}
