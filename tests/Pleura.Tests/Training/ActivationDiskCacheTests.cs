using Pleura.Networks;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Tests.Training;

/// <summary>The activation cache's shared folder: rows written once, read memory-mapped, never a wrong or half-written one.</summary>
public class ActivationDiskCacheTests
{
    [Fact]
    public void ARowIsReadBackExactlyAndOnlyForItsScopeAndKey()
    {
        using var dir = new TempFolder();
        var disk = new ActivationDiskCache(dir.Path);
        using var row = randn(16, 3, 3);
        disk.Write("prefix-a/1ch/32x32", "img1|roi none|aug 0", row);
        using (var back = disk.TryRead("prefix-a/1ch/32x32", "img1|roi none|aug 0"))
        {
            Assert.NotNull(back);
            Assert.Equal(row.shape, back!.shape);
            Assert.True(row.allclose(back!, 0, 0));
        }
        using (var bf16 = row.to_type(ScalarType.BFloat16))
        {
            disk.Write("prefix-a/1ch/32x32", "img2", bf16);
            using var back = disk.TryRead("prefix-a/1ch/32x32", "img2");
            Assert.Equal(ScalarType.BFloat16, back!.dtype);
            Assert.True(bf16.to_type(ScalarType.Float32).allclose(back.to_type(ScalarType.Float32), 0, 0));
        }
        Assert.Null(disk.TryRead("prefix-b/1ch/32x32", "img1|roi none|aug 0"));   // another prefix's weights: never its rows
        Assert.Null(disk.TryRead("prefix-a/1ch/32x32", "img3"));
        Assert.Equal((2L, 2L, 0L), (disk.Reads, disk.Writes, disk.Rejected));
        Assert.Equal(Directory.GetFiles(dir.Path, "*.row", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length), disk.Size());
        Assert.True(disk.Size() > 16 * 9 * 4);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void ACutShortOrDamagedFileIsNeverUsedAndIsReplaced()
    {
        using var dir = new TempFolder();
        var disk = new ActivationDiskCache(dir.Path);
        using var row = randn(64);
        string path = disk.PathOf("s", "k");

        disk.Write("s", "k", row);
        var whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..^10]);          // cut short, as by a crash without the atomic rename
        Assert.Null(disk.TryRead("s", "k"));
        var flipped = (byte[])whole.Clone();
        flipped[^5] ^= 0x40;                              // one bit of the payload
        File.WriteAllBytes(path, flipped);
        Assert.Null(disk.TryRead("s", "k"));
        File.WriteAllBytes(path, Array.Empty<byte>());
        Assert.Null(disk.TryRead("s", "k"));
        Assert.Equal(3, disk.Rejected);

        // A cache over the folder computes the row again and puts a whole file in its place.
        using var cache = new ActivationCache { Disk = disk };
        using var images = row.reshape(1, 64);
        using var got = cache.Get("s", new[] { "k" }, images, x => x * 1, 8);
        Assert.Equal(1, cache.Misses);
        Assert.Equal(whole, File.ReadAllBytes(path));
    }

    [Fact]
    public void ASecondProcessTrainsFromTheFirstOnesRowsWithTheSameResult()
    {
        using var dir = new TempFolder();
        using var train = PhantomSets.Left(30, 48, 32);
        using var val = PhantomSets.Left(31, 16, 32);
        var config = new TrainingConfig
        {
            Architecture = "resnet10-w16", ImageSize = 32, InputChannels = 1, BatchSize = 16, Stage1Epochs = 2, Stage2Epochs = 1,
            Stage1LearningRate = 3e-3, Stage2LearningRate = 2e-3, UnfreezeConvLayers = 5, Balancing = Balancing.Over, Seed = 2,
        };
        var keyed = new LabelledImages(train.Images, train.Labels) { Keys = Enumerable.Range(0, train.Count).Select(i => $"img{i}").ToList() };
        var keyedVal = new LabelledImages(val.Images, val.Labels) { Keys = Enumerable.Range(0, val.Count).Select(i => $"val{i}").ToList() };
        var start = SeededInit.Create(7, () => Architectures.Get(config.Architecture).Create(4, 1));
        TrainingResult Run(ActivationCache cache)
        {
            using var work = new TempFolder();
            var model = Twins.Of(start, () => Architectures.Get(config.Architecture).Create(4, 1));
            return new Trainer(model, "fc.", config, work.Path, cache: cache).Train(keyed, keyedVal);
        }

        // Two caches over one folder stand for two processes (or cluster tasks).
        using var first = new ActivationCache { Disk = new ActivationDiskCache(dir.File("cache")) };
        var a = Run(first);
        Assert.True(first.Disk!.Writes > 0);
        using var second = new ActivationCache { Disk = new ActivationDiskCache(dir.File("cache")) };
        var b = Run(second);
        Assert.Equal(0, second.Misses);                       // nothing computed: every prefix row came from the folder
        Assert.Equal(first.Disk.Writes, second.Disk!.Reads);
        Assert.Equal(a.History.Select(h => (h.TrainLoss, h.ValidationLoss)), b.History.Select(h => (h.TrainLoss, h.ValidationLoss)));
    }
}
