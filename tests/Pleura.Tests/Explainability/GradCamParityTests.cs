using System.Text.Json;
using Pleura.Explainability;
using Pleura.Networks;
using Pleura.Tests.Networks;
using static TorchSharp.torch;

namespace Pleura.Tests.Explainability;

/// <summary>Grad-CAM maps equal PyTorch's (../shared/fixtures/models/gradcam.json) with the formula weights.</summary>
public class GradCamParityTests
{
    [SkippableTheory]
    [InlineData("resnet50")]
    [InlineData("densenet121")]
    public void RawAndUpsampledMapsMatchPyTorch(string arch)
    {
        var fixture = JsonDocument.Parse(File.ReadAllText(SharedFolder.Require("fixtures", "models", "gradcam.json"))).RootElement.GetProperty("cases").GetProperty(arch);
        using var scope = NewDisposeScope();
        var model = Architectures.Get(arch).Create(4, 3);
        FormulaWeights.Fill(model);
        string layer = fixture.GetProperty("layer").GetString()!;
        Assert.Equal(layer, GradCam.DefaultLayer(arch));
        var maps = GradCam.Compute(model, layer, FormulaWeights.Image(1, 3, 128, 128, 2));

        int cls = fixture.GetProperty("class").GetInt32();
        Assert.Equal(cls, maps.TopClass(0));
        var expectedLogits = fixture.GetProperty("logits")[0].EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int c = 0; c < 4; c++) Assert.True(Math.Abs(expectedLogits[c] - maps.Logits[c]) <= 1e-3 * Math.Max(1, Math.Abs(expectedLogits[c])), $"logit {c}");

        var raw = fixture.GetProperty("cam_raw").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        var mine = maps.Map(0, cls).ToArray();
        double worstRaw = raw.Zip(mine).Max(p => Math.Abs(p.First - p.Second) / Math.Max(1, Math.Abs(p.First)));
        Assert.True(worstRaw <= 1e-4, $"raw map differs by {worstRaw:E2}");

        var up = GradCam.Normalise(GradCam.Upsample(mine, maps.Height, maps.Width, 128, 128));
        var row = fixture.GetProperty("cam_upsampled_normalised_row64").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        double worstRow = row.Select((v, x) => Math.Abs(v - up[64 * 128 + x])).Max();
        Assert.True(worstRow <= 1e-3, $"upsampled row 64 differs by {worstRow:E2}");
        double sum = fixture.GetProperty("cam_upsampled_normalised_sum").GetDouble();
        Assert.True(Math.Abs(sum - up.Sum()) <= 1e-3 * sum, $"sum {up.Sum()} vs {sum}");
    }

    [Fact]
    public void EveryClassFromOneForwardAndAProbabilityWeightedMap()
    {
        using var scope = NewDisposeScope();
        var model = SeededInit.Create(3, () => Architectures.Get("resnet10-w16").Create(4, 3));
        var x = rand(2, 3, 64, 64);
        var all = GradCam.Compute(model, "layer4", x);
        var one = GradCam.Compute(model, "layer4", x, new[] { 2 });
        Assert.Equal(one.Map(1, 2).ToArray(), all.Map(1, 2).ToArray());
        var weighted = GradCam.ProbabilityWeighted(all, 0);
        var p = all.Probabilities(0);
        Assert.Equal(1.0, p.Sum(), 5);
        Assert.Equal(Enumerable.Range(0, 4).Sum(c => p[c] * all.Map(0, c)[3]), weighted[3], 5);
        Assert.All(StateDicts.Ordered(model), kv => Assert.True(kv.Value.grad is null || kv.Value.grad.abs().sum().item<float>() == 0, kv.Key));
        Assert.Throws<ArgumentException>(() => GradCam.Compute(model, "layer9", x));
    }
}
