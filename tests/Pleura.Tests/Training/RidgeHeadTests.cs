using Pleura.Evaluation;
using Pleura.Networks;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Tests.Training;

/// <summary>
/// `head: ridge` writes the ridge read-out of the frozen features into the network's own head: the checkpoint must grade
/// every image exactly as the ridge probe fitted on the same features does (both decision rules) and leave every
/// backbone weight as it started (what it reaches on real features is measured on BrixIA: docs/method-and-studies.md).
/// </summary>
public class RidgeHeadTests
{
    static TrainingConfig Ridge(GradeDecision decision) => new()
    {
        Architecture = "resnet10-w16", ImageSize = 64, InputChannels = 1, BatchSize = 16, Seed = 3, Head = HeadFit.Ridge, Decision = decision,
    };

    static IReadOnlyList<float[]> Features(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        model.eval();
        using var _ = no_grad();
        var stages = ((IStagedNetwork)model).Stages;
        var pooled = NetworkStages.Run(stages, images, 0, stages.Count - 1).flatten(1).contiguous();
        var values = pooled.data<float>().ToArray();
        int d = (int)pooled.shape[1];
        return Enumerable.Range(0, (int)pooled.shape[0]).Select(i => values.AsSpan(i * d, d).ToArray()).ToList();
    }

    [Theory]
    [InlineData(GradeDecision.Expected)]
    [InlineData(GradeDecision.ArgMax)]
    public void TheFittedHeadGradesAsTheRidgeProbeOnTheSameFeaturesAndTheBackboneIsUntouched(GradeDecision decision)
    {
        using var dir = new TempFolder();
        using var train = PhantomSets.Left(50, 160, 64);
        using var validation = PhantomSets.Left(51, 40, 64);
        using var test = PhantomSets.Left(52, 80, 64);
        var model = SeededInit.Create(5, () => Architectures.Get("resnet10-w16").Create(4, 1));
        var before = model.named_parameters().Where(p => !p.name.StartsWith("fc.", StringComparison.Ordinal))
            .ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var trainer = new Trainer(model, "fc.", Ridge(decision), dir.Path);
        var result = trainer.Train(train, validation);
        Assert.Contains("ridge head fitted in closed form", result.StopReason);

        var probe = RidgeProbe.FitChoosingStrength(Features(model, train.Images), train.Labels, Features(model, validation.Images), validation.Labels);
        var expected = Features(model, test.Images).Select(probe.Predict).ToArray();
        var (_, graded) = trainer.Evaluate(test);
        Assert.Equal(expected, graded);
        foreach (var (name, parameter) in model.named_parameters().Where(p => before.ContainsKey(p.name)))
            Assert.True(parameter.detach().allclose(before[name], rtol: 0, atol: 0), $"{name} changed");
    }
}
