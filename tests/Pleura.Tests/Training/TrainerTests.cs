using System.Diagnostics;
using Pleura.Evaluation;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pleura.Tests.Training;

public class TrainerTests(ITestOutputHelper output)
{
    static TrainingConfig Small(int stage1, int stage2) => new()
    {
        Architecture = "resnet10-w16", ImageSize = 64, InputChannels = 1, BatchSize = 16,
        Stage1Epochs = stage1, Stage2Epochs = stage2, Stage1LearningRate = 3e-3, Stage2LearningRate = 2e-3,
        UnfreezeConvLayers = -1, Seed = 3,
    };

    static nn.Module<Tensor, Tensor> Model(int seed)
    {
        return SeededInit.Create(seed, () => Architectures.Get("resnet10-w16").Create(4, 1));
    }

    [Fact]
    public void LearnsTheGradeFromPhantomsAndBeatsTheGlobalIntensityBaseline()
    {
        using var dir = new TempFolder();
        using var train = PhantomSets.Left(10, 240, 64);
        using var val = PhantomSets.Left(11, 60, 64);
        using var test = PhantomSets.Left(12, 100, 64);
        var model = Model(1);
        var clock = Stopwatch.StartNew();
        var trainer = new Trainer(model, "fc.", Small(1, 14), dir.Path);
        var result = trainer.Train(train, val);
        var (_, predicted) = trainer.Evaluate(test);
        double macroMae = GradeMetrics.Compute(test.Labels, predicted).MacroMae;

        var features = (LabelledImages s) => Enumerable.Range(0, s.Count).Select(i => GlobalIntensityBaseline.Features(s.Images[i].data<float>().ToArray())).ToList();
        var baseline = GlobalIntensityBaseline.Fit(features(train), train.Labels);
        double baselineMae = GradeMetrics.Compute(test.Labels, features(test).Select(baseline.Predict).ToArray()).MacroMae;
        output.WriteLine($"model macro MAE {macroMae:0.000}, baseline {baselineMae:0.000}, {result.History.Count} epochs in {clock.Elapsed.TotalSeconds:0}s; {result.StopReason}");
        Assert.True(macroMae < baselineMae - 0.2, $"model {macroMae:0.000} vs baseline {baselineMae:0.000}");
        Assert.True(File.Exists(Path.Combine(dir.Path, "epochs.csv")));
    }

    [Fact]
    public void AStoppedRunResumesToTheSameResultAsAnUninterruptedOne()
    {
        using var a = new TempFolder();
        using var b = new TempFolder();
        using var train = PhantomSets.Left(20, 64, 48);
        using var val = PhantomSets.Left(21, 24, 48);
        var config = Small(2, 3) with { ImageSize = 48, Balancing = Balancing.Over };

        var whole = Model(5);
        var interrupted = Twins.Of(whole, () => Model(6));
        new Trainer(whole, "fc.", config, a.Path).Train(train, val);

        // Stop in the middle of stage 2's second epoch, as a killed process would, then run the same command again.
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => new Trainer(interrupted, "fc.", config, b.Path)
            .Train(train, val, p => { if (p.Stage == 2 && p.Epoch == 2 && p.Batch == 2) cancel.Cancel(); }, cancel.Token));
        var resumed = Model(99); // fresh process: different initial weights, all state comes from the folder
        var result = new Trainer(resumed, "fc.", config, b.Path).Train(train, val);

        Assert.Equal(5, result.History.Count);
        var expected = StateDicts.Ordered(whole);
        var actual = StateDicts.Ordered(resumed);
        foreach (var (e, r) in expected.Zip(actual))
            Assert.True(e.Value.to_type(ScalarType.Float64).allclose(r.Value.to_type(ScalarType.Float64), 0, 0), $"{e.Key} differs after resume");
        Assert.Equal(File.ReadAllText(Path.Combine(a.Path, "epochs.csv")).Split('\n').Select(l => string.Join(',', l.Split(',').SkipLast(2))),
            File.ReadAllText(Path.Combine(b.Path, "epochs.csv")).Split('\n').Select(l => string.Join(',', l.Split(',').SkipLast(2))));
    }

    [Fact]
    public void StageOneTrainsOnlyTheHeadAndKeepsBatchNormStatistics()
    {
        using var dir = new TempFolder();
        using var train = PhantomSets.Left(30, 32, 48);
        using var val = PhantomSets.Left(31, 16, 48);
        var model = Model(2);
        var before = StateDicts.Ordered(model).ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        new Trainer(model, "fc.", Small(2, 0) with { ImageSize = 48 }, dir.Path).Train(train, val);
        foreach (var (key, value) in StateDicts.Ordered(model))
        {
            bool same = before[key].to_type(ScalarType.Float64).allclose(value.to_type(ScalarType.Float64), 0, 0);
            Assert.True(key.StartsWith("fc.") ? !same : same, $"{key}: {(same ? "unchanged" : "changed")}");
        }
    }

    [Fact]
    public void ADivergingRunStopsWithAMessageAndKeepsGoodWeights()
    {
        using var dir = new TempFolder();
        using var train = PhantomSets.Left(40, 32, 48);
        using var val = PhantomSets.Left(41, 16, 48);
        var model = Model(3);
        var config = Small(1, 2) with { ImageSize = 48, Stage2LearningRate = 1e12 };
        var result = new Trainer(model, "fc.", config, dir.Path).Train(train, val);
        Assert.True(result.Diverged, result.StopReason);
        Assert.Contains("diverged", result.StopReason);
        Assert.All(StateDicts.Ordered(model), kv => Assert.False(kv.Value.isnan().any().item<bool>(), kv.Key));
    }

    [Fact]
    public void BalancingIsDeterministicAndDoesWhatItSays()
    {
        var labels = new[] { 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 3 };
        var under = Balancer.Examples(labels, Balancing.Under, 1, 7);
        Assert.Equal(4, under.Count);
        Assert.Equal(new[] { 0, 1, 2, 3 }, under.Select(e => labels[e.Source]).OrderBy(x => x));
        var over = Balancer.Examples(labels, Balancing.Over, 1, 7);
        Assert.All(over.GroupBy(e => labels[e.Source]), g => Assert.Equal(6, g.Count()));
        Assert.Equal(12, over.Count(e => e.AugmentSeed is null));
        Assert.Equal(over, Balancer.Examples(labels, Balancing.Over, 1, 7));
        Assert.Equal(4, Balancer.Examples(labels, Balancing.Double, 1, 7).Count);
        Assert.Equal(12, Balancer.Examples(labels, Balancing.Double, 2, 7).Count);
    }
}

/// <summary>Test-time augmentation: the image and seeded variants of it, averaged.</summary>
public class TestTimeAugmentationTests
{
    [Fact]
    public void AveragesTheImageAndItsCopiesReproducibly()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var model = Pleura.Networks.SeededInit.Create(3, () => Pleura.Networks.Architectures.Get("resnet10-w16").Create(4, 1));
        var images = TorchSharp.torch.rand(new long[] { 3, 1, 32, 32 }, generator: new TorchSharp.torch.Generator(1));
        var plain = Pleura.Networks.Inference.Probabilities(model, images, 1);
        var none = TestTimeAugmentation.Probabilities(model, images, 1, Pleura.Networks.InputRecipe.UnitGrey, 0);
        Assert.Equal(plain.SelectMany(p => p), none.SelectMany(p => p));
        var once = TestTimeAugmentation.Probabilities(model, images, 1, Pleura.Networks.InputRecipe.UnitGrey, 4, seed: 7);
        var again = TestTimeAugmentation.Probabilities(model, images, 1, Pleura.Networks.InputRecipe.UnitGrey, 4, seed: 7);
        Assert.Equal(once.SelectMany(p => p), again.SelectMany(p => p));
        Assert.All(once, p => Assert.Equal(1.0, p.Sum(), 4));
        Assert.NotEqual(plain.SelectMany(p => p), once.SelectMany(p => p));
    }
}

/// <summary>Soft ordinal labels: a near grade costs less than a far one.</summary>
public class SordLossTests
{
    [Fact]
    public void TargetsFollowTheDistanceToTheTrueGradeAndNearMistakesCostLess()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var targets = Losses.SordTargets(TorchSharp.torch.tensor(new long[] { 0, 2 }), 4);
        var first = Enumerable.Range(0, 4).Select(k => targets[0, k].item<float>()).ToArray();
        // softmax(-(k - 0)^2) = e^0, e^-1, e^-4, e^-9 normalised.
        double z = 1 + Math.Exp(-1) + Math.Exp(-4) + Math.Exp(-9);
        Assert.Equal(1 / z, first[0], 5);
        Assert.Equal(Math.Exp(-1) / z, first[1], 5);
        Assert.Equal(Math.Exp(-4) / z, first[2], 5);
        Assert.Equal(1.0, targets[1].sum().item<float>(), 5);
        Assert.True(targets[1, 1].item<float>() == targets[1, 3].item<float>());

        var truth = TorchSharp.torch.tensor(new long[] { 0 });
        float Cost(int predicted)
        {
            var logits = TorchSharp.torch.full(new long[] { 1, 4 }, -5f);
            logits[0, predicted] = TorchSharp.torch.tensor(5f);
            return Losses.Mean(LossKind.Sord, logits, truth).item<float>();
        }
        Assert.True(Cost(0) < Cost(1) && Cost(1) < Cost(2) && Cost(2) < Cost(3));
        // Cross-entropy does not see the order: every wrong grade costs the same.
        var ce = Enumerable.Range(1, 3).Select(p =>
        {
            var logits = TorchSharp.torch.full(new long[] { 1, 4 }, -5f);
            logits[0, p] = TorchSharp.torch.tensor(5f);
            return Losses.Mean(LossKind.CrossEntropy, logits, truth).item<float>();
        }).ToArray();
        Assert.Equal(ce[0], ce[2], 4);
    }
}
