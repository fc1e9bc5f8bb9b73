using Microsoft.Data.Sqlite;
using Pleura.Store;

namespace Pleura.Tests.Store;

/// <summary>A study.db written before the schema had a version still opens, and reads as the current schema.</summary>
public class StoreMigrationTests
{
    /// <summary>The results table as version 1 wrote it: no version table, no selected column, the choice only in the note.</summary>
    const string Version1 = """
        CREATE TABLE results (study VARCHAR(200) NOT NULL, level VARCHAR(20) NOT NULL, grouping VARCHAR(60) NOT NULL, grp VARCHAR(100) NOT NULL,
            side VARCHAR(10) NOT NULL, comparison VARCHAR(60) NOT NULL, metric VARCHAR(60) NOT NULL, value DOUBLE PRECISION NOT NULL,
            low DOUBLE PRECISION, high DOUBLE PRECISION, n INTEGER NOT NULL, note TEXT NOT NULL);
        INSERT INTO results VALUES ('s', '1', 'combination', 'a / roi none / under', 'mean', 'reader1', 'macro_mae', 0.5, NULL, NULL, 1, 'top-k: goes on to level 2');
        INSERT INTO results VALUES ('s', '1', 'combination', 'a / roi lung / under', 'mean', 'reader1', 'macro_mae', 0.7, NULL, NULL, 2, '');
        INSERT INTO results VALUES ('s', '2', 'combination', 'a / roi none / under', 'mean', 'reader1', 'macro_mae', 0.55, NULL, NULL, 3, 'chosen; by rank');
        INSERT INTO results VALUES ('s', '3', 'oob', 'all', 'left', 'reader1', 'macro_mae', 0.6, 0.4, 0.8, 13, '');
        """;

    [Fact]
    public void AVersion1StoreIsMigratedAndItsChoicesBecomeSelectedFlags()
    {
        using var dir = new TempFolder();
        var path = dir.File("study.db");
        using (var old = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            old.Open();
            using var command = old.CreateCommand();
            command.CommandText = Version1;
            command.ExecuteNonQuery();
        }

        using (var store = SqlExperimentStore.OpenSqlite(path))
        {
            Assert.Equal(SqlExperimentStore.SchemaVersion, store.Version);
            var results = store.Results("s");
            Assert.Equal(4, results.Count);
            Assert.Equal(new[] { "1|a / roi none / under", "2|a / roi none / under" },
                results.Where(r => r.Selected).Select(r => $"{r.Level}|{r.Group}").OrderBy(x => x, StringComparer.Ordinal));
            Assert.Equal(0.6, results.Single(r => r.Level == ResultLevels.Final).Value);
            // New rows carry the flag themselves.
            store.ReplaceResults("s", ResultLevels.Selection, new[] { new ResultRecord("s", ResultLevels.Selection, "combination", "b", "mean", "reader1", "macro_mae", 0.4, null, null, 3, "", Selected: true) });
        }
        // Opening again changes nothing (the migration runs once).
        using var again = SqlExperimentStore.OpenSqlite(path);
        Assert.Equal(SqlExperimentStore.SchemaVersion, again.Version);
        Assert.True(again.Results("s").Single(r => r.Level == ResultLevels.Selection).Selected);
        Assert.True(again.Results("s").Single(r => r.Level == ResultLevels.Ranking && r.Group == "a / roi none / under").Selected);
    }

    [Fact]
    public void Undefined_figures_are_left_out_or_stored_as_null_rather_than_stopping_the_level()
    {
        using var dir = new TempFolder();
        using var store = SqlExperimentStore.OpenSqlite(dir.File("study.db"));
        var defined = new ResultRecord("s", "3", "oob", "all", "left", "reader1", "macro_mae", 0.6, double.NaN, 0.8, 13, "", false);
        var undefined = defined with { Metric = "roc_auc_ovr_macro", Value = double.NaN };
        store.ReplaceResults("s", "3", new[] { defined, undefined });
        var stored = Assert.Single(store.Results("s"));
        Assert.Equal("macro_mae", stored.Metric);
        Assert.Null(stored.Low);
        Assert.Equal(0.8, stored.High);
    }
}
