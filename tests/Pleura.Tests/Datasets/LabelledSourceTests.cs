using Pleura.Datasets;
using Pleura.Imaging;

namespace Pleura.Tests.Datasets;

public class LabelledSourceTests
{
    /// <summary>
    /// `classify train --classes A B` on a table where one row's class is misspelt (Bb) and one has none: both rows
    /// are left out, counted ("2 rows left out") and listed in left-out.txt with their reasons.
    /// </summary>
    [Fact]
    public void AMisspeltClassIsCountedAndListedAmongTheRowsLeftOut()
    {
        using var dir = new TempFolder();
        var rows = new List<string> { "path,class" };
        for (int i = 0; i < 6; i++)
        {
            PngWriter.WriteGrey8(dir.File($"i{i}.png"), Enumerable.Range(0, 32 * 32).Select(k => (byte)(k * (i + 1))).ToArray(), 32, 32);
            rows.Add($"i{i}.png,{(i < 2 ? "A" : i < 4 ? "B" : i == 4 ? "Bb" : "")}");
        }
        File.WriteAllLines(dir.File("labels.csv"), rows);
        var log = new List<string>();

        var set = LabelledSource.Decode(dir.File("labels.csv"), ["A", "B"], null, 32, ErrorPolicy.Continue, dir.File("left-out.txt"), log.Add);

        Assert.Equal(4, set.Items.Count);
        Assert.Contains(log, l => l.StartsWith("2 rows left out in all", StringComparison.Ordinal));
        var leftOut = File.ReadAllLines(dir.File("left-out.txt"));
        Assert.Equal(2, leftOut.Length);
        Assert.Contains(leftOut, l => l.Contains("class 'Bb' is not one of the classes used (A, B)", StringComparison.Ordinal) && l.Contains("i4.png", StringComparison.Ordinal));
        Assert.Contains(leftOut, l => l.Contains("line 7: no class", StringComparison.Ordinal));
    }
}
