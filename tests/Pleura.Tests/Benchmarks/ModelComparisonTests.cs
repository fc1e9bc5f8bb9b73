using System.Text.Json;
using Pleura.Benchmarks;

namespace Pleura.Tests.Benchmarks;

/// <summary>What `pleura bench models` computes from its timings: medians over runs, PyTorch's faster layout, per-run ratios.</summary>
public class ModelComparisonTests
{
    static ModelThroughput Ours(double inference, double training, double bf16Training = double.NaN, double rss = 100) =>
        new("resnet18", 16, 224, inference, training, 1000, 50, double.NaN, bf16Training, rss);

    static Dictionary<string, PyTorchThroughput> Theirs(double nchw, double channelsLast) =>
        new() { ["resnet18"] = new(new(nchw, 10, 800, 40), new(channelsLast, 5, 900, 45), "1.13") };

    [Fact]
    public void EachRatioIsTheMedianOfThePerRunRatiosAgainstPyTorchsFasterLayout()
    {
        var ours = new List<IReadOnlyList<ModelThroughput>> { new[] { Ours(100, 20) }, new[] { Ours(60, 10, rss: 300) }, new[] { Ours(90, 30) } };
        var theirs = new List<IReadOnlyDictionary<string, PyTorchThroughput>> { Theirs(50, 40), Theirs(20, 60), Theirs(45, 30) };
        var row = Assert.Single(ModelComparison.Of(ours, theirs));
        Assert.Equal(3, row.Runs);
        // Inference: PyTorch's faster layout is NCHW in runs 1 and 3, channels-last in run 2; ratios 2.0, 1.0, 2.0.
        Assert.Equal(90, row.Inference.Pleura, 12);
        Assert.Equal(50, row.Inference.PyTorch, 12);
        Assert.Equal("mixed", row.Inference.PyTorchLayout);
        Assert.Equal(2.0, row.Inference.Ratio, 12);
        // Training: NCHW (10) is always faster than channels-last (5); ratios 2, 1, 3.
        Assert.Equal("nchw", row.Training.PyTorchLayout);
        Assert.Equal(2.0, row.Training.Ratio, 12);
        Assert.Equal("cl", row.Stage1.PyTorchLayout);
        Assert.Equal(1000.0 / 900, row.Stage1.Ratio, 12);
        Assert.Equal(300, row.PeakResidentMegabytes);
        Assert.True(double.IsNaN(row.Bf16TrainingSpeedUp));
    }

    [Fact]
    public void WithoutPyTorchThePyTorchColumnsAreEmptyAndBf16IsTheMedianOfPerRunSpeedUps()
    {
        var ours = new List<IReadOnlyList<ModelThroughput>> { new[] { Ours(100, 20, 30) }, new[] { Ours(100, 10, 25) } };
        var row = Assert.Single(ModelComparison.Of(ours, new List<IReadOnlyDictionary<string, PyTorchThroughput>>()));
        Assert.Equal("", row.Training.PyTorchLayout);
        Assert.True(double.IsNaN(row.Training.PyTorch) && double.IsNaN(row.Training.Ratio));
        Assert.Equal(15, row.Training.Pleura, 12);
        Assert.Equal((1.5 + 2.5) / 2, row.Bf16TrainingSpeedUp, 12);
    }

    [Fact]
    public void TheMedianLeavesNaNOut()
    {
        Assert.Equal(2, ModelComparison.Median(new[] { 3, double.NaN, 1, 2 }));
        Assert.Equal(2.5, ModelComparison.Median(new[] { 4.0, 1, 2, 3 }));
        Assert.True(double.IsNaN(ModelComparison.Median(new[] { double.NaN })));
    }

    [Theory]
    [InlineData("resnet18", "fc.weight", "layer4.1.conv2.weight", "layer3.1.conv2.weight")]
    [InlineData("vgg16", "classifier.6.weight", "classifier.0.weight", "features.14.weight")]
    public void ThePyTorchSpecNamesTheParametersEachStageTrains(string architecture, string head, string inStage2, string frozen)
    {
        using var document = JsonDocument.Parse(PyTorchReference.Spec(2, 16, 224, 5, new[] { architecture }));
        var network = Assert.Single(document.RootElement.GetProperty("networks").EnumerateArray());
        var stage1 = network.GetProperty("stage1").EnumerateArray().Select(e => e.GetString()).ToList();
        var stage2 = network.GetProperty("stage2").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(head, stage1);
        Assert.DoesNotContain(inStage2, stage1);
        Assert.Contains(head, stage2);
        Assert.Contains(inStage2, stage2);
        Assert.DoesNotContain(frozen, stage2);
        Assert.Equal(2, document.RootElement.GetProperty("threads").GetInt32());
    }
}
