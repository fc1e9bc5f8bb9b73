using Pleura.Data;
using Pleura.Datasets;

namespace Pleura.Tests.Datasets;

/// <summary>The two classification tasks read from ../shared/data; counts from its README.</summary>
public class ClassificationSourcesTests
{
    [SkippableFact]
    public void ViewTaskHasTheReadmeCounts()
    {
        var data = SharedFolder.Require("data");
        Skip.IfNot(File.Exists(Path.Combine(data, "cohen", "metadata.csv")) && File.Exists(Path.Combine(data, "jsrt-scr", "index.csv")),
            "../shared/data/cohen or jsrt-scr is not present");
        var set = ClassificationSources.View(data);
        // README: PA 305 + AP Supine 135 + AP 115 = 555 frontal in the collection, 247 JSRT images, 54 lateral; 45 blank and 4 '?' left out.
        Assert.Equal(555 + 247, set.Items.Count(i => i.Class == ClassificationSources.Frontal));
        Assert.Equal(54, set.Items.Count(i => i.Class == ClassificationSources.Lateral));
        Assert.Equal(49, set.LeftOut.Count);
        Assert.Equal(4, set.LeftOut.Count(l => l.Contains("view '?'")));
        Assert.All(set.Items, i => Assert.True(File.Exists(i.Path), i.Path));
        Assert.Equal(247, set.Items.Count(i => i.Patient.StartsWith("jsrt:")));
        // Patients 192 and 196 are one person.
        Assert.DoesNotContain(set.Items, i => i.Patient == "cohen:196");
        // Split by patient: each patient in one part; lateral images spread over test and the five folds.
        var split = ClassificationSplitter.Split(set.ForSplit());
        Assert.All(split.Images.GroupBy(i => i.Patient), g => Assert.Single(g.Select(i => i.Group).Distinct()));
        Assert.Equal(6, split.Images.Where(i => i.Class == ClassificationSources.Lateral).Select(i => i.Group).Distinct().Count());
    }

    [SkippableFact]
    public void PneumoniaTaskHasTheReadmeCountsAndItsLabelTableReadsBack()
    {
        var data = SharedFolder.Require("data");
        Skip.IfNot(File.Exists(Path.Combine(data, "pneumonia", "index.csv")), "../shared/data/pneumonia is not present");
        var set = ClassificationSources.Pneumonia(data);
        var counts = set.Items.GroupBy(i => i.Class).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["covid"] = 69, ["normal"] = 350, ["bacterial"] = 350, ["viral"] = 350 }, counts);
        Assert.Empty(set.LeftOut);
        Assert.All(set.Items, i => Assert.True(File.Exists(i.Path), i.Path));
        using var folder = new TempFolder();
        var table = Path.Combine(folder.Path, "labels.csv");
        ClassificationSources.WriteLabelTable(table, set.Items);
        var again = LabelledSource.Read(table);
        Assert.Equal(set.Items, again.Items);
        Assert.Empty(again.LeftOut);
    }

    [Fact]
    public void LabelTableQuotesNamesWithCommasAndReadsBack()
    {
        using var folder = new TempFolder();
        var items = new[]
        {
            new LabelledItem(Path.Combine(folder.Path, "immagine 2.jpg"), "frontal", "p,1"),
            new LabelledItem(Path.Combine(folder.Path, "a\"b.png"), "lateral", "p2"),
        };
        var table = Path.Combine(folder.Path, "labels.csv");
        ClassificationSources.WriteLabelTable(table, items);
        Assert.Equal(items, LabelledSource.Read(table).Items);
    }
}
