using Pleura.Networks;
using Pleura.Networks.Backbones;
using Pleura.Networks.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Pleura.Tests.Networks;

public class TransferLearningTests
{
    [Fact]
    public void SummedConv1GivesTheSameOutputAsReplicatedGrey()
    {
        using var scope = NewDisposeScope();
        var (rgb, grey) = SeededInit.Create(4, () => (ResNet.ResNet18(4), ResNet.ResNet18(4, inChannels: 1)));
        var report = WeightLoader.Load(grey, GreyInput.AdaptFirstConvolution(StateDicts.Ordered(rgb), grey), origin: "rgb");
        Assert.True(report.IsExact, report.ToString());
        rgb.eval();
        grey.eval();
        using var _ = no_grad();
        var x = rand(2, 1, 64, 64);
        var difference = (rgb.call(x.expand(-1, 3, -1, -1)) - grey.call(x)).abs().max().item<float>();
        Assert.True(difference < 1e-4, $"difference {difference}");
    }

    [Theory]
    [InlineData("vgg16", "features.0.weight")]
    [InlineData("densenet121", "features.conv0.weight")]
    public void APretrainedRgbBackboneStartsAGreyModelWhateverItsFirstConvolutionIsCalled(string arch, string firstConv)
    {
        using var dir = new TempFolder();
        var info = Architectures.Get(arch);
        var (rgb, grey) = SeededInit.Create(5, () => (info.Create(4, 3), info.Create(2, 1)));
        Checkpoint.Save(dir.File("rgb.safetensors"), rgb, new CheckpointInfo { Architecture = arch, Classes = new[] { "a", "b", "c", "d" }, InputSize = 64, InputChannels = 3 });
        var report = PretrainedStart.Load(grey, info.HeadPrefix, dir.File("rgb.safetensors"));
        Assert.Empty(report.MisShaped);
        Assert.All(report.SkippedHead, k => Assert.StartsWith(info.HeadPrefix, k));
        var source = StateDicts.Ordered(rgb).First(kv => kv.Key == firstConv).Value;
        var loaded = StateDicts.Ordered(grey).First(kv => kv.Key == firstConv).Value;
        Assert.True(source.sum(1, keepdim: true).allclose(loaded, 1e-6, 1e-6), "first convolution = summed RGB kernels");
    }

    [Theory]
    [InlineData("resnet50", 5, new[] { "layer4.1.conv2.weight", "layer4.1.bn2.weight", "layer4.2.conv3.weight", "layer4.2.bn3.bias", "fc.weight" },
        new[] { "layer4.1.conv1.weight", "layer4.0.downsample.0.weight", "conv1.weight" })]
    [InlineData("resnet18", 5, new[] { "layer4.0.conv1.weight", "layer4.0.conv2.weight", "layer4.0.downsample.0.weight", "layer4.0.downsample.1.weight", "layer4.1.conv2.weight", "fc.bias" },
        new[] { "layer3.1.conv2.weight", "layer3.1.bn2.weight", "layer3.0.downsample.0.weight" })]
    public void StageTwoTrainsTheLastNConvolutionsTheirNormsAndTheHead(string arch, int n, string[] trained, string[] frozen)
    {
        var model = Architectures.Get(arch).Create(4, 3);
        var names = ModuleTree.LastConvolutions(model, n, "fc.");
        foreach (var t in trained) Assert.Contains(t, names);
        foreach (var f in frozen) Assert.DoesNotContain(f, names);
        Assert.Equal(n, names.Count(x => x.EndsWith(".weight") && StateDicts.Ordered(model).Single(kv => kv.Key == x).Value.dim() == 4));
        Assert.Equal(model.named_parameters().Count(), ModuleTree.LastConvolutions(model, -1, "fc.").Count);
    }

    [Fact]
    public void CheckpointsRoundTripWithTheirDescription()
    {
        using var dir = new TempFolder();
        using var scope = NewDisposeScope();
        var model = SeededInit.Create(1, () => Architectures.Get("resnet10-w16").Create(4, 1));
        var info = new CheckpointInfo { Architecture = "resnet10-w16", Classes = new[] { "a", "b", "c", "d" }, Side = "left", InputSize = 64, InputChannels = 1, LabelColumn = "left_grade" };
        Checkpoint.Save(dir.File("m.safetensors"), model, info);
        var (loaded, back) = Checkpoint.Load(dir.File("m.safetensors"));
        Assert.Equal(("resnet10-w16", "left", 64, 1, "left_grade"), (back.Architecture, back.Side, back.InputSize, back.InputChannels, back.LabelColumn));
        // Every tensor comes back bit for bit...
        foreach (var (saved, restored) in StateDicts.Ordered(model).Zip(StateDicts.Ordered(loaded)))
        {
            Assert.Equal(saved.Key, restored.Key);
            Assert.True(saved.Value.to_type(ScalarType.Float64).allclose(restored.Value.to_type(ScalarType.Float64), 0, 0), saved.Key);
        }
        // ...and the loaded model computes the same function; its kernels are laid out channels-last for inference
        // (Checkpoint.Load), so oneDNN may pick another algorithm and round differently in the last bits.
        model.eval();
        using var _ = no_grad();
        var x = rand(1, 1, 64, 64);
        Assert.True(model.call(x).allclose(loaded.call(x), 1e-5, 1e-6));
        File.Delete(dir.File("m.json"));
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(dir.File("m.safetensors")));
    }

    [Fact]
    public void ChannelsLastChangesLayoutNotValues()
    {
        using var scope = NewDisposeScope();
        var x = rand(2, 3, 8, 8);
        var y = ChannelsLast.Of(x);
        Assert.Equal(x.shape, y.shape);
        Assert.Equal(new long[] { 192, 1, 24, 3 }, y.stride());
        Assert.True(x.allclose(y, 0, 0));
    }
}
