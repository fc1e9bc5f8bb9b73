namespace Pleura.Tests.Cli;

[Collection("console")]
public class SegmentCliTests
{
    static int Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void TrainEvaluateAndPredictOnPhantomLungs()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, Run("phantoms", "--count", "40", "--size", "64", "--seed", "6", "--out", dir.File("ph")));
        string[] masks = { "--mask", "left_lung=" + dir.File("ph/masks/left_lung"), "--mask", "right_lung=" + dir.File("ph/masks/right_lung") };
        Assert.Equal(0, Run(new[] { "segment", "train", "--images", dir.File("ph/images"), "-o", dir.File("lungs.safetensors"), "--size", "64",
            "--epochs", "3", "--arch", "unet-w8", "--test", "0.2" }.Concat(masks).ToArray()));
        Assert.Contains("\"structures\"", File.ReadAllText(dir.File("lungs.json")));
        Assert.Equal(0, Run(new[] { "segment", "evaluate", dir.File("lungs.safetensors"), "--images", dir.File("ph/images"), "--bootstrap", "50" }.Concat(masks).ToArray()));
        Assert.Equal(0, Run("segment", "predict", dir.File("lungs.safetensors"), dir.File("ph/images/ph00001.png"), "-o", dir.File("pred")));
        Assert.True(File.Exists(dir.File("pred/left_lung/ph00001.png")));

        // The same structures from a manifest's mask columns.
        string[] columns = { "--mask", "left_lung=left_lung_mask", "--mask", "right_lung=right_lung_mask" };
        Assert.Equal(0, Run(new[] { "segment", "train", "--manifest", dir.File("ph/manifest.csv"), "-o", dir.File("m2.safetensors"), "--size", "64",
            "--epochs", "1", "--arch", "unet-w8", "--test", "0.2" }.Concat(columns).ToArray()));
        Assert.Equal(0, Run(new[] { "segment", "evaluate", dir.File("m2.safetensors"), "--manifest", dir.File("ph/manifest.csv"), "--bootstrap", "20" }.Concat(columns).ToArray()));
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, Run("segment", "train", "--manifest", dir.File("ph/manifest.csv"), "-o", dir.File("m3.safetensors"), "--mask", "heart=heart_mask"));

        // Lung masks for a manifest that has none: written, cleaned, and added as columns the ROIs and HCS read.
        var source = Pleura.Data.ManifestCsv.Read(dir.File("ph/manifest.csv"), new Pleura.Data.ValidationReport());
        var keep = source.ExtraColumns.Where(c => !c.EndsWith("lung_mask", StringComparison.Ordinal)).ToList();
        var bare = new Pleura.Data.Manifest(source.Rows.Select(r => r with { Extra = r.Extra.Where(kv => keep.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value) }).ToList(),
            keep, source.BaseDirectory);
        Pleura.Data.ManifestCsv.Write(bare, dir.File("ph/bare.csv"));
        Assert.Equal(0, Run("segment", "predict", dir.File("lungs.safetensors"), "--manifest", dir.File("ph/bare.csv"), "-o", dir.File("lungmasks")));
        var withMasks = Pleura.Data.ManifestCsv.Read(dir.File("lungmasks/manifest.csv"), new Pleura.Data.ValidationReport());
        Assert.Equal(40, withMasks.Rows.Count);
        Assert.All(withMasks.Rows, r =>
        {
            Assert.True(File.Exists(r.GetExtra("left_lung_mask")), r.ImageId);
            Assert.True(File.Exists(r.GetExtra("right_lung_mask")), r.ImageId);
            Assert.True(File.Exists(withMasks.ResolvePath(r)), r.ImageId);
        });
        Assert.Equal(Pleura.Cli.Cli.ExitUsage, Run("segment", "train", "--images", dir.File("ph/images"), "-o", dir.File("x.safetensors"), "--mask", "nonsense"));
        Assert.Equal(Pleura.Cli.Cli.ExitUsage, Run(new[] { "segment", "train", "--images", dir.File("ph/images"), "-o", dir.File("x.safetensors"), "--size", "60" }.Concat(masks).ToArray()));
    }
}
