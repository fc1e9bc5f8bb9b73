using System.Globalization;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Imaging;
using Pleura.Imaging.Roi;
using Pleura.Segmentation;
using Pleura.Tests.Cli;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Tests.Segmentation;

[Collection("console")]
public class ZoneOpacityTests
{
    /// <summary>
    /// Phantoms with BrixIA-style zone columns made from their true opacity masks: each zone's score is the grade of
    /// its opaque share (0 none, 1 up to a third, ...), the same for both readers, and the global score their sum.
    /// </summary>
    static (Manifest Manifest, string Path) ZoneScoredPhantoms(TempFolder dir, string name, int count, int seed)
    {
        Assert.Equal(0, CliRunner.Run("phantoms", "--count", count.ToString(CultureInfo.InvariantCulture), "--size", "64", "--seed", seed.ToString(CultureInfo.InvariantCulture), "--out", dir.File(name)));
        var manifest = ManifestInput.Open(dir.File(name + "/manifest.csv"), labelColumns: null);
        var rows = manifest.Rows.Select(row =>
        {
            var lungs = RoiImages.ReadLungMasks(manifest, row, 64);
            var opacity = MaskReader.ReadResized(manifest.Resolve(row.GetExtra("opacity_mask")), "opacity", 64, 64).Pixels.Select(v => v >= 0.5f).ToArray();
            var zones = LungZones.From(lungs);
            var scores = LungZones.Order.Select(z =>
            {
                var mask = zones.Mask(z);
                return OpacityGrade.FromFraction(mask.Where((v, i) => v && opacity[i]).Count() / (double)Math.Max(1, mask.Count(v => v)));
            }).ToList();
            var extra = new Dictionary<string, string>(row.Extra);
            for (int z = 0; z < scores.Count; z++)
                foreach (int reader in new[] { 1, 2 }) extra[BrixiaImport.ZoneColumn(BrixiaImport.Zones[z], reader)] = scores[z].ToString(CultureInfo.InvariantCulture);
            extra["brixia_global_r1"] = extra["brixia_global_r2"] = scores.Sum().ToString(CultureInfo.InvariantCulture);
            return row with { Extra = extra };
        }).ToList();
        var scored = new Manifest(rows, manifest.ExtraColumns.Concat(BrixiaImport.ZoneColumns).Concat(["brixia_global_r1", "brixia_global_r2"]).ToList(), manifest.BaseDirectory);
        var path = dir.File(name + "/zones.csv");
        ManifestCsv.Write(scored, path);
        return (ManifestInput.Open(path, labelColumns: null), path);
    }

    [Fact]
    public void AMapLearnedFromZoneScoresFindsTheOpacityOfUnseenPhantomsAndIsAnOrdinaryOpacityModel()
    {
        using var dir = new TempFolder();
        var (_, trainPath) = ZoneScoredPhantoms(dir, "train", 160, 21);
        var (test, testPath) = ZoneScoredPhantoms(dir, "test", 40, 22);
        var model = dir.File("opacity.safetensors");
        Assert.Equal(0, CliRunner.Run("segment", "train-zones", "-m", trainPath, "-o", model, "--arch", "unet-w8", "--size", "64", "--epochs", "12", "--lr", "0.003", "--batch", "16"));

        // Zone by zone and image by image on phantoms it never saw, against their known opacity.
        var (images, failures) = ZoneOpacityJob.Score(model, test, test.Rows);
        Assert.Empty(failures);
        var figures = ZoneOpacityJob.Figures(test, images, bootstrap: 50).ToDictionary(f => f.Name);
        Assert.True(figures["zone_auc_r1"].Value.Estimate > 0.85, $"zone AUC {figures["zone_auc_r1"].Value}");
        Assert.True(figures["spearman_percent_global_r1"].Value.Estimate > 0.7, $"Spearman {figures["spearman_percent_global_r1"].Value}");
        // An outcome every answered image shares has nothing to rank: no row, not a NaN one.
        Manifest Admitted(Func<int, string> answer) => new(test.Rows.Select((r, i) => r with { Extra = new Dictionary<string, string>(r.Extra) { ["went_icu"] = answer(i) } }).ToList(),
            test.ExtraColumns.Append("went_icu").Distinct().ToList(), test.BaseDirectory);
        Assert.Contains("outcome_auc_went_icu", ZoneOpacityJob.Figures(Admitted(i => i % 2 == 0 ? "Y" : "N"), images, bootstrap: 50).Select(f => f.Name));
        Assert.DoesNotContain("outcome_auc_went_icu", ZoneOpacityJob.Figures(Admitted(_ => "Y"), images, bootstrap: 50).Select(f => f.Name));
        var byId = test.Rows.ToDictionary(r => r.ImageId);
        var truePercent = images.Select(i => double.Parse(byId[i.ImageId].GetExtra("left_opacity_fraction"), CultureInfo.InvariantCulture)
                                             + double.Parse(byId[i.ImageId].GetExtra("right_opacity_fraction"), CultureInfo.InvariantCulture)).ToList();
        Assert.True(RankCorrelation.Spearman(truePercent, images.Select(i => i.Measure.PercentOfLungs).ToList()) > 0.7);

        // The checkpoint is an ordinary opacity model: `segment opacity` scores it against the true masks.
        Assert.Equal(0, CliRunner.Run("segment", "opacity", model, "-m", testPath, "--bootstrap", "20", "-o", dir.File("scored")));
        Assert.Contains("segmentation,dice", File.ReadAllText(dir.File("scored/summary.csv")));
    }

    [Fact]
    public void CrossValidationByPatientWritesEveryFigureAndRefusesAFolderOfOtherSettings()
    {
        using var dir = new TempFolder();
        var (_, path) = ZoneScoredPhantoms(dir, "ph", 30, 23);
        string[] Args(string epochs) => ["segment", "zones-cv", "-m", path, "-o", dir.File("cv"), "--folds", "3", "--arch", "unet-w8", "--size", "64", "--epochs", epochs, "--bootstrap", "20"];
        var (code, output) = CliRunner.RunCaptured(Args("1"));
        Assert.True(code == 0, output);
        var names = File.ReadAllLines(dir.File("cv/metrics.csv")).Skip(1).Select(l => l.Split(',')[0]).ToList();
        Assert.Equal(["zone_auc_r1", "lung_grade_macro_mae_r1", "spearman_percent_global_r1", "spearman_zone_sum_global_r1"], names.Take(4));
        // Every image predicted once, by the fold whose model never saw its patient.
        var predictions = File.ReadAllLines(dir.File("cv/predictions.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(30, predictions.Count);
        var split = SplitPlan.Load(dir.File("cv/split.json"));
        Assert.All(predictions, p => Assert.Equal(SplitPart.Test, split.PartOfImage(p[0], int.Parse(p[2], CultureInfo.InvariantCulture))));
        var (again, message) = CliRunner.RunCaptured(Args("2"));
        Assert.NotEqual(0, again);
        Assert.Contains("is not this zone cross-validation's folder: training", message);
        Assert.Contains("\"Epochs\":1", message);
    }

    [Fact]
    public void TheZoneLossRewardsAMapOpaqueWhereTheScoresSayAndClearOutsideTheLungs()
    {
        // One 8x8 image: zone 0 (rows 0-1) scored 3, zone 1 (rows 2-3) scored 0, the other zones unknown; rows 6-7 outside the lungs.
        var masks = zeros(1, 7, 8, 8);
        masks[0, 0, TensorIndex.Slice(0, 2)] = 1;
        masks[0, 1, TensorIndex.Slice(2, 4)] = 1;
        masks[0, 6, TensorIndex.Slice(0, 6)] = 1;
        var labels = zeros(1, 18);
        labels[0, 0] = 1; labels[0, 6] = 1; labels[0, 12] = 1; labels[0, 13] = 1;
        var right = full(1, 1, 8, 8, -6f);
        right[0, 0, TensorIndex.Slice(0, 2)] = 6;
        var wrong = full(1, 1, 8, 8, -6f);
        wrong[0, 0, TensorIndex.Slice(2, 4)] = 6;
        var outside = right.clone();
        outside[0, 0, TensorIndex.Slice(6, 8)] = 6;
        double Loss(Tensor logits) => ZoneLoss.Compute(logits, masks, labels).item<float>();
        Assert.True(Loss(right) < 0.05, $"{Loss(right)}");
        Assert.True(Loss(wrong) > 5 * Loss(right) + 1);
        Assert.True(Loss(outside) > Loss(right) + 1);
        Assert.Throws<ArgumentException>(() => ZoneLoss.Compute(right, masks.narrow(1, 0, 6), labels));
    }

    [Fact]
    public void AManifestWithoutZoneColumnsOrLungMasksIsRefusedWithItsPathAndAnImageWithoutMasksIsNamed()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, CliRunner.Run("phantoms", "--count", "6", "--size", "64", "--seed", "3", "--out", dir.File("ph")));
        var (code, output) = CliRunner.RunCaptured("segment", "train-zones", "-m", dir.File("ph/manifest.csv"), "-o", dir.File("m.safetensors"), "--arch", "unet-w8", "--size", "64");
        Assert.NotEqual(0, code);
        Assert.Contains("manifest.csv", output);
        Assert.Contains("brixia_a_r1", output);

        var (scored, path) = ZoneScoredPhantoms(dir, "z", 6, 4);
        var noMask = scored.Rows.Select((r, i) => i == 0 ? r with { Extra = new Dictionary<string, string>(r.Extra) { ["left_lung_mask"] = "", ["right_lung_mask"] = "" } } : r).ToList();
        using var set = ZoneScoredImages.Load(new Manifest(noMask, scored.ExtraColumns, scored.BaseDirectory), noMask, 64);
        Assert.Equal(5, set.Rows.Count);
        var failure = Assert.Single(set.Failures);
        Assert.Contains(noMask[0].ImageId, failure.Reason);
        Assert.Contains("no lung mask", failure.Reason);
        Assert.Equal([5, 7, 64, 64], set.Masks.shape);
    }
}
