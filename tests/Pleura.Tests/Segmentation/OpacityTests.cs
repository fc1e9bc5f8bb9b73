using Pleura.Imaging.Roi;
using Pleura.Phantoms;
using Pleura.Segmentation;
using Pleura.Tests.Cli;

namespace Pleura.Tests.Segmentation;

[Collection("console")]
public class OpacityTests
{
    [Fact]
    public void TrueOpacityMasksGiveThePhantomsTrueGrades()
    {
        for (int i = 0; i < 12; i++)
        {
            var p = PhantomDataset.RenderOne(9, i, 96, i % 4, (i + 2) % 4);
            var m = OpacityMeasure.From(p.Opacity, new LungMasks(96, 96, p.LeftLung, p.RightLung));
            Assert.Equal(p.LeftOpacityFraction, m.LeftFraction, 3);
            Assert.Equal(p.RightOpacityFraction, m.RightFraction, 3);
            Assert.Equal(p.LeftGrade, m.LeftGrade);
            Assert.Equal(p.RightGrade, m.RightGrade);
        }
    }

    [Fact]
    public void TheOpacityCommandScoresGradesDiceAndOutcomes()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, CliRunner.Run("phantoms", "--count", "40", "--size", "64", "--seed", "4", "--out", dir.File("ph")));
        Assert.Equal(0, CliRunner.Run("segment", "train", "--images", dir.File("ph/images"), "--mask", "opacity=" + dir.File("ph/masks/opacity"),
            "-o", dir.File("opacity.safetensors"), "--size", "64", "--epochs", "2", "--arch", "unet-w8", "--test", "0.2"));
        // Outcome columns as the COVID-19 collection has them.
        var lines = File.ReadAllLines(dir.File("ph/manifest.csv")).ToList();
        lines[0] += ",went_icu,survival";
        for (int i = 1; i < lines.Count; i++) lines[i] += i % 3 == 0 ? ",Y,N" : i % 3 == 1 ? ",N,Y" : ",,";
        File.WriteAllLines(dir.File("ph/manifest.csv"), lines);
        Assert.Equal(0, CliRunner.Run("segment", "opacity", dir.File("opacity.safetensors"), "-m", dir.File("ph/manifest.csv"), "--bootstrap", "50", "-o", dir.File("out"), "--overlays", "2"));
        Assert.Equal(2, Directory.GetFiles(dir.File("out/overlays"), "*.png").Length);
        var table = File.ReadAllLines(dir.File("out/opacity.csv"));
        Assert.Equal(41, table.Length);
        Assert.All(table.Skip(1), l => Assert.NotEqual("", l.Split(',')[6]));   // Dice for every image: the phantoms know their opacity
        var summary = File.ReadAllText(dir.File("out/summary.csv"));
        foreach (var figure in new[] { "outcome_auc,went_icu", "outcome_auc,survival", "segmentation,dice", "grade_vs_reader1,macro_mae,left" })
            Assert.Contains(figure, summary);
        Assert.Equal(1, CliRunner.Run("segment", "opacity", dir.File("opacity.safetensors"), "-m", dir.File("ph/manifest.csv"), "-o", dir.File("out"), "-s", dir.File("missing.json")));
    }
}
