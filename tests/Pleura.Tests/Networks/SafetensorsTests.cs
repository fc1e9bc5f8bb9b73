using Pleura.Networks;
using Pleura.Networks.Backbones;
using Pleura.Networks.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Pleura.Tests.Networks;

public class SafetensorsTests
{
    [SkippableFact]
    public void TorchvisionFileWithMixedDtypesLoadsAndReproducesItsLogits()
    {
        using var scope = NewDisposeScope();
        var path = SharedFolder.Require("fixtures", "models", "resnet18-formula.safetensors");
        var contents = Safetensors.Read(path);
        Assert.Contains(contents.Tensors, kv => kv.Value.dtype == ScalarType.Float16);
        Assert.Contains(contents.Tensors, kv => kv.Value.dtype == ScalarType.BFloat16);
        Assert.Contains(contents.Tensors, kv => kv.Value.dtype == ScalarType.Int64);
        var model = ResNet.ResNet18(4);
        var report = WeightLoader.Load(model, contents.Tensors, origin: path);
        Assert.True(report.IsExact, report.ToString());
        model.eval();
        using var _ = no_grad();
        ResNetParityTests.AssertLogits("resnet18-formula.safetensors.logits.json", model.call(FormulaWeights.Image(2, 3, 64, 64, 1)));
    }

    [Fact]
    public void WriteThenReadKeepsOrderDtypesValuesAndMetadata()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempFolder();
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("z.weight", randn(3, 4)),
            new("a.half", randn(5).to_type(ScalarType.Float16)),
            new("m.bf16", randn(2, 2).to_type(ScalarType.BFloat16)),
            new("b.count", tensor(7L)),
        };
        Safetensors.Write(dir.File("w.safetensors"), tensors, new Dictionary<string, string> { ["arch"] = "test" });
        var back = Safetensors.Read(dir.File("w.safetensors"));
        Assert.Equal(tensors.Select(t => t.Key), back.Tensors.Select(t => t.Key));
        foreach (var (original, read) in tensors.Zip(back.Tensors))
        {
            Assert.Equal(original.Value.dtype, read.Value.dtype);
            Assert.Equal(original.Value.shape, read.Value.shape);
            Assert.True(original.Value.to_type(ScalarType.Float64).allclose(read.Value.to_type(ScalarType.Float64), 0, 0));
        }
        Assert.Equal("test", back.Metadata["arch"]);
    }

    [Fact]
    public void MismatchesAreNamedAndOnlyTheHeadMayBeSkipped()
    {
        using var scope = NewDisposeScope();
        var source = ResNet.ResNet18(1000);
        var weights = StateDicts.Ordered(source);
        var target = ResNet.ResNet18(4);
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(target, weights, origin: "imagenet"));
        Assert.Contains("fc.weight", e.Message);
        Assert.Contains("1000x512", e.Message);

        var report = WeightLoader.Load(target, weights, skipHeadPrefix: "fc.");
        Assert.Contains("fc.weight", report.SkippedHead);
        Assert.True(StateDicts.Ordered(target).Single(kv => kv.Key == "conv1.weight").Value.allclose(weights.Single(kv => kv.Key == "conv1.weight").Value, 0, 0));

        // A body mismatch is refused even with the head skipped.
        var broken = weights.Where(kv => kv.Key != "layer1.0.conv1.weight").Append(new("extra.thing", zeros(1))).ToList();
        var e2 = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(target, broken, skipHeadPrefix: "fc."));
        Assert.Contains("missing: layer1.0.conv1.weight", e2.Message);
        Assert.Contains("unexpected: extra.thing", e2.Message);
    }

    [Fact]
    public void NonSafetensorsFilesAreRefusedWithTheReason()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("x.safetensors"), "hello, this is not a weights file");
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(dir.File("x.safetensors")));
        Assert.Contains(dir.File("x.safetensors"), e.Message);
        Assert.Throws<FileNotFoundException>(() => Safetensors.Read(dir.File("none.safetensors")));
    }
}
