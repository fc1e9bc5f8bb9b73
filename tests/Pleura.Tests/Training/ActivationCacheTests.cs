using Pleura.Networks;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Tests.Training;

public class ActivationCacheTests
{
    [Theory]
    [InlineData("resnet10-w16")]
    [InlineData("resnet18")]
    [InlineData("resnet18-cntk-l34")]
    [InlineData("vgg16")]
    [InlineData("densenet121")]
    public void RunningTheStagesInTurnEqualsTheForwardPass(string architecture)
    {
        var model = SeededInit.Create(4, () => Architectures.Get(architecture).Create(4, 3));
        model.eval();
        using var _ = no_grad();
        var x = rand(2, 3, 64, 64);
        var stages = ((IStagedNetwork)model).Stages;
        var staged = NetworkStages.Run(stages, x, 0, stages.Count);
        Assert.True(staged.allclose(model.call(x), 1e-5, 1e-6), $"{architecture}: staged output differs from forward");
        // Every parameter belongs to exactly one stage, so a cut never leaves a trainable parameter in the cached prefix.
        foreach (var (name, _) in model.named_parameters()) Assert.Single(stages, s => s.Owns(name));
    }

    [Fact]
    public void CachedTrainingFollowsTheSameCourseAsUncachedTraining()
    {
        using var train = PhantomSets.Left(30, 64, 48);
        using var val = PhantomSets.Left(31, 24, 48);
        var config = new TrainingConfig
        {
            Architecture = "resnet10-w16", ImageSize = 48, InputChannels = 1, BatchSize = 16, Stage1Epochs = 3, Stage2Epochs = 3,
            Stage1LearningRate = 3e-3, Stage2LearningRate = 2e-3, UnfreezeConvLayers = 5, Balancing = Balancing.Over, Seed = 2,
        };
        var keyed = new LabelledImages(train.Images, train.Labels) { Keys = Enumerable.Range(0, train.Count).Select(i => $"img{i}").ToList() };

        var keyedVal = new LabelledImages(val.Images, val.Labels) { Keys = Enumerable.Range(0, val.Count).Select(i => $"val{i}").ToList() };

        var start = SeededInit.Create(7, () => Architectures.Get(config.Architecture).Create(4, 1));
        var (plain, plainResult) = Run(config, train, val, null, Twins.Of(start, () => Architectures.Get(config.Architecture).Create(4, 1)));
        using var cache = new ActivationCache();
        var (cached, cachedResult) = Run(config, keyed, keyedVal, cache, Twins.Of(start, () => Architectures.Get(config.Architecture).Create(4, 1)));

        Assert.Equal(plainResult.History.Count, cachedResult.History.Count);
        foreach (var (a, b) in plainResult.History.Zip(cachedResult.History))
        {
            Assert.Equal(a.TrainLoss, b.TrainLoss, 3);
            Assert.Equal(a.ValidationLoss, b.ValidationLoss, 3);
        }
        foreach (var (a, b) in StateDicts.Ordered(plain).Zip(StateDicts.Ordered(cached)))
            Assert.True(a.Value.to_type(ScalarType.Float64).allclose(b.Value.to_type(ScalarType.Float64), 1e-3, 1e-4), $"{a.Key} differs");
        Assert.True(cache.Misses > 0 && cache.Bytes > 0);

        // A second run whose frozen layers hold the same weights reuses every row of the first stage.
        long misses = cache.Misses;
        Run(config with { Balancing = Balancing.None, Stage2Epochs = 0 }, keyed, keyedVal, cache, Twins.Of(start, () => Architectures.Get(config.Architecture).Create(4, 1)));
        Assert.Equal(misses, cache.Misses);
    }

    static (nn.Module<Tensor, Tensor>, TrainingResult) Run(TrainingConfig config, LabelledImages train, LabelledImages val, ActivationCache? cache,
        nn.Module<Tensor, Tensor> model)
    {
        using var dir = new TempFolder();
        var result = new Trainer(model, "fc.", config, dir.Path, cache: cache).Train(train, val);
        return (model, result);
    }
}
