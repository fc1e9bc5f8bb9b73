using System.Text.Json;
using Pleura.Networks;
using Pleura.Networks.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace Pleura.Tests.Networks;

/// <summary>VGG-16 and DenseNet-121 with torchvision's names and numerics.</summary>
public class VggDenseNetParityTests
{
    [SkippableFact]
    public void Vgg16KeysLogitsAndFeatureSumsMatchTorchvision()
    {
        using var scope = NewDisposeScope();
        var model = Vgg.Vgg16(4);
        ResNetParityTests.AssertKeysMatch("vgg16", model);
        FormulaWeights.Fill(model);
        model.eval();
        using var _ = no_grad();
        var x = FormulaWeights.Image(2, 3, 64, 64, 1);
        ResNetParityTests.AssertLogits("vgg16.logits.json", model.call(x));
        var expected = JsonDocument.Parse(File.ReadAllText(SharedFolder.Require("fixtures", "models", "vgg16.logits.json"))).RootElement
            .GetProperty("features_sum_per_sample").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var sums = model.Features(x).to_type(ScalarType.Float64).sum(new long[] { 1, 2, 3 }).data<double>().ToArray();
        for (int i = 0; i < 2; i++) Assert.True(Math.Abs(expected[i] - sums[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"sample {i}: {sums[i]} vs {expected[i]}");
    }

    [SkippableFact]
    public void DenseNet121KeysAndLogitsMatchTorchvision()
    {
        using var scope = NewDisposeScope();
        var model = DenseNet.DenseNet121(4);
        ResNetParityTests.AssertKeysMatch("densenet121", model);
        FormulaWeights.Fill(model);
        model.eval();
        using var _ = no_grad();
        ResNetParityTests.AssertLogits("densenet121.logits.json", model.call(FormulaWeights.Image(2, 3, 64, 64, 1)));
    }

    [Fact]
    public void StageTwoDefaultsFollowThePaper()
    {
        Assert.Equal(5, Architectures.Get("resnet50").DefaultUnfreeze);
        Assert.Equal(5, Architectures.Get("vgg16").DefaultUnfreeze);
        Assert.Equal(15, Architectures.Get("densenet121").DefaultUnfreeze);

        var vgg = Architectures.Get("vgg16");
        var names = ModuleTree.LastConvolutions(vgg.Create(4, 3), 5, vgg.Stage2Prefix);
        Assert.Equal(new[] { "features.17.weight", "features.19.weight", "features.21.weight", "features.24.weight", "features.26.weight", "features.28.weight" }
            .Skip(1), names.Where(n => n.StartsWith("features.") && n.EndsWith(".weight")).OrderBy(n => int.Parse(n.Split('.')[1])));
        Assert.Contains("classifier.0.weight", names);
        Assert.Contains("classifier.6.bias", names);

        var dense = Architectures.Get("densenet121");
        var denseNames = ModuleTree.LastConvolutions(dense.Create(4, 3), 15, dense.Stage2Prefix);
        Assert.Equal(15, denseNames.Count(n => n.Contains(".conv") && n.EndsWith(".weight")));
        Assert.Contains("features.denseblock4.denselayer16.conv2.weight", denseNames);
        Assert.Contains("features.denseblock4.denselayer9.conv2.weight", denseNames);
        Assert.DoesNotContain("features.denseblock4.denselayer9.conv1.weight", denseNames);
        Assert.Contains("features.norm5.weight", denseNames);
        Assert.Contains("classifier.weight", denseNames);
    }
}
