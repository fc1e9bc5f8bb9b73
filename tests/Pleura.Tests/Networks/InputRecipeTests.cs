using Pleura.Networks;
using Pleura.Networks.Backbones;
using Pleura.Networks.Weights;
using static TorchSharp.torch;

namespace Pleura.Tests.Networks;

/// <summary>Weights bring their input recipe: grey becomes what they were trained on, replicated or through a summed conv1.</summary>
public class InputRecipeTests
{
    [Fact]
    public void ImageNetRecipeScalesAndSubtractsEachChannelsMean()
    {
        using var scope = NewDisposeScope();
        var grey = full(new long[] { 1, 1, 4, 4 }, 0.5f);
        var x = InputRecipe.ImageNetCntk.Feed(grey, 3);
        Assert.Equal(new long[] { 1, 3, 4, 4 }, x.shape);
        var firstPixel = Enumerable.Range(0, 3).Select(c => x[0, c, 0, 0].item<float>()).ToArray();
        Assert.Equal(127.5 - 103.063, firstPixel[0], 3);
        Assert.Equal(127.5 - 115.903, firstPixel[1], 3);
        Assert.Equal(127.5 - 123.152, firstPixel[2], 3);
        // The default recipe is the identity on grey in [0, 1] (what every earlier checkpoint was trained with).
        Assert.Equal(0.5f, InputRecipe.UnitGrey.Feed(grey, 1)[0, 0, 1, 1].item<float>());
        Assert.Contains("BGR", InputRecipe.ImageNetCntk.Description);
    }

    [Fact]
    public void GreyThroughASummedConv1EqualsReplicatedGreyAwayFromTheBorder()
    {
        using var scope = NewDisposeScope();
        var recipe = InputRecipe.ImageNetCntk with { Std = new[] { 50.0, 60.0, 70.0 } };
        var rgb = new ResNet("rgb", false, new[] { 1, 1, 1, 1 }, 4, 16, 3);
        FormulaWeights.Fill(rgb);
        var weights = StateDicts.Ordered(rgb).Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.clone())).ToList();
        var grey = new ResNet("grey", false, new[] { 1, 1, 1, 1 }, 4, 16, 1);
        PretrainedStart.Load(grey, "fc.", weights, "test", recipe);
        rgb.eval();
        grey.eval();
        var image = rand(new long[] { 2, 1, 64, 64 }, generator: new Generator(3));
        using var _ = no_grad();
        var replicated = rgb.Stages[0].Run(recipe.Feed(image, 3));
        var summed = grey.Stages[0].Run(recipe.Feed(image, 1));
        // Stem output is 16x16 (stride 4): the outer two cells see the zero padding, which stands for another grey.
        var inner = (Tensor t) => t.narrow(2, 2, 12).narrow(3, 2, 12);
        double worst = (inner(replicated) - inner(summed)).abs().max().item<float>();
        Assert.True(worst < 1e-3, $"max difference {worst:E2} inside the image");
        Assert.True(inner(replicated).abs().max().item<float>() > 0.1);
    }
}

/// <summary>Probabilities to one grade: the most probable class, or the rounded expected grade.</summary>
public class GradeDecisionTests
{
    [Theory]
    [InlineData(new[] { 0.4f, 0.1f, 0.1f, 0.4f }, 0, 2)]     // split between the extremes: arg-max takes the first, the expectation 1.5 rounds up
    [InlineData(new[] { 0.0f, 0.0f, 0.45f, 0.55f }, 3, 3)]
    [InlineData(new[] { 0.5f, 0.0f, 0.0f, 0.5f }, 0, 2)]
    [InlineData(new[] { 0.7f, 0.3f, 0.0f, 0.0f }, 0, 0)]
    public void ArgMaxAndExpectedGrade(float[] probabilities, int argmax, int expected)
    {
        Assert.Equal(argmax, GradeDecision.ArgMax.Decide(probabilities));
        Assert.Equal(expected, GradeDecision.Expected.Decide(probabilities));
    }
}
