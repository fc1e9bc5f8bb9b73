using Pleura.Evaluation;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pleura.Tests.Training;

/// <summary>bfloat16 mixed-precision training (<c>--precision bf16</c>): float32 master weights, bfloat16 convolutions.</summary>
public class MixedPrecisionTests(ITestOutputHelper output)
{
    static TrainingConfig Small(ArithmeticPrecision precision) => new()
    {
        Architecture = "resnet10-w16", ImageSize = 64, InputChannels = 1, BatchSize = 16,
        Stage1Epochs = 1, Stage2Epochs = 10, Stage1LearningRate = 3e-3, Stage2LearningRate = 2e-3,
        UnfreezeConvLayers = -1, Seed = 3, Precision = precision,
    };

    static nn.Module<Tensor, Tensor> Model(int seed, int channels = 1) =>
        SeededInit.Create(seed, () => Architectures.Get("resnet10-w16").Create(4, channels));

    [Fact]
    public void ConvolutionsAfterTheStemComputeInBFloat16AndGradientsReachTheFloat32MasterWeights()
    {
        var plain = Model(4, 3);
        var mixed = Model(4, 3);
        Precision.TrainConvolutionsInBFloat16(mixed);
        Precision.TrainConvolutionsInBFloat16(mixed); // a second call changes nothing
        var convolutions = ModuleTree.DepthFirst(mixed).Where(m => m.Module is Conv2d).ToList();
        var seen = new Dictionary<string, ScalarType>();
        foreach (var (name, module) in convolutions)
            ((Conv2d)module).register_forward_hook((_, _, y) => { seen[name] = y.dtype; return y; });

        using var x = ChannelsLast.Of(rand(4, 3, 64, 64, generator: new Generator(5)));
        using var labels = tensor(new long[] { 0, 1, 2, 3 });
        plain.train();
        mixed.train();
        F.cross_entropy(plain.call(x), labels).backward();
        var loss = F.cross_entropy(mixed.call(x), labels);
        Assert.Equal(ScalarType.Float32, loss.dtype);
        loss.backward();

        Assert.Equal(ScalarType.Float32, seen[convolutions[0].Name]); // the stem sees the raw image in float32
        Assert.All(convolutions.Skip(1), c => Assert.Equal(ScalarType.BFloat16, seen[c.Name]));
        var cosines = new Dictionary<string, double>();
        var reference = plain.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in mixed.named_parameters())
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.NotNull(p.grad);
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
            Assert.True(p.grad.isfinite().all().item<bool>(), $"{name}: gradient not finite");
            // The same direction as float32's gradient, to bfloat16's precision.
            var g = p.grad.flatten();
            var r = reference[name].grad!.flatten();
            cosines[name] = (g.dot(r) / (g.norm() * r.norm() + 1e-12)).item<float>();
        }
        output.WriteLine(string.Join(", ", cosines.Select(c => $"{c.Key} {c.Value:0.000}")));
        Assert.All(cosines, c => Assert.True(c.Value > 0.9, $"{c.Key}: gradient cosine to float32's {c.Value:0.000}"));
        Assert.True(cosines.Values.Average() > 0.97, $"mean gradient cosine to float32's {cosines.Values.Average():0.000}");
    }

    [Fact]
    public void LearnsPhantomsAsWellAsFloat32AndItsCheckpointIsFloat32()
    {
        using var train = PhantomSets.Left(10, 200, 64);
        using var val = PhantomSets.Left(11, 60, 64);
        using var test = PhantomSets.Left(12, 100, 64);
        var mae = new Dictionary<ArithmeticPrecision, double>();
        foreach (var precision in new[] { ArithmeticPrecision.Fp32, ArithmeticPrecision.Bf16 })
        {
            using var dir = new TempFolder();
            var plan = new TrainingPlan(Small(precision), 4, new ModelStart(1), dir.File("work"));
            using var trained = ModelTraining.Train(plan, train, val);
            var (_, predicted) = trained.Evaluate(test);
            mae[precision] = GradeMetrics.Compute(test.Labels, predicted).MacroMae;
            output.WriteLine($"{precision}: test macro MAE {mae[precision]:0.000}, {trained.Result.History.Count} epochs, " +
                             $"{trained.Result.History.Sum(h => h.Seconds):0}s; {trained.Result.StopReason}");
            if (precision == ArithmeticPrecision.Fp32) continue;

            Assert.All(trained.Model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
            // The checkpoint holds the float32 master weights and runs as a plain float32 network.
            var path = dir.File("model.safetensors");
            trained.Save(path, trained.Describe(new[] { "0", "1", "2", "3" }));
            Assert.All(Safetensors.Read(path).Tensors.Where(t => t.Value.is_floating_point()), t => Assert.Equal(ScalarType.Float32, t.Value.dtype));
            var (loaded, info) = Checkpoint.Load(path);
            foreach (var ((key, saved), (_, kept)) in StateDicts.Ordered(loaded).Zip(StateDicts.Ordered(trained.Model)))
                Assert.True(saved.eq(kept).all().item<bool>(), $"{key} differs in the checkpoint");
            Assert.Contains("Precision", info.Training!.ToJsonString(), StringComparison.Ordinal);
            using var _ = no_grad();
            using var fed = Small(precision).Recipe.Feed(test.Images, 1);
            var asFloat32 = loaded.call(fed).argmax(1).data<long>().ToArray();
            double agreement = asFloat32.Zip(predicted).Count(p => p.First == p.Second) / (double)predicted.Length;
            output.WriteLine($"checkpoint run in float32 agrees with the bfloat16 model on {agreement:P0} of the test images");
            Assert.True(agreement >= 0.9, $"float32 checkpoint agrees on {agreement:P0}");
        }
        Assert.True(mae[ArithmeticPrecision.Bf16] < 0.75, $"bf16 macro MAE {mae[ArithmeticPrecision.Bf16]:0.000}");
        Assert.True(mae[ArithmeticPrecision.Bf16] < mae[ArithmeticPrecision.Fp32] + 0.15,
            $"bf16 {mae[ArithmeticPrecision.Bf16]:0.000} against fp32 {mae[ArithmeticPrecision.Fp32]:0.000}");
    }

    [Fact]
    public void Float32SettingsKeepTheirHashAndBFloat16IsHashedAndReadFromStudyFiles()
    {
        var config = new TrainingConfig();
        Assert.DoesNotContain("Precision", System.Text.Json.JsonSerializer.Serialize(config), StringComparison.Ordinal);
        Assert.Equal("af84b25ae0cbdca7", config.Hash()); // the hash of the default settings before --precision existed
        Assert.Equal(config.Hash(), (config with { Precision = ArithmeticPrecision.Fp32 }).Hash());
        Assert.NotEqual(config.Hash(), (config with { Precision = ArithmeticPrecision.Bf16 }).Hash());

        using var dir = new TempFolder();
        File.WriteAllText(dir.File("m.csv"), "path\n");
        File.WriteAllText(dir.File("s.yaml"), "manifest: m.csv\ntraining:\n  precision: bf16\n");
        Assert.Equal(ArithmeticPrecision.Bf16, Pleura.Study.StudySpec.Load(dir.File("s.yaml")).Training.Precision);
        File.WriteAllText(dir.File("bad.yaml"), "manifest: m.csv\ntraining:\n  precision: fp16\n");
        var e = Assert.Throws<InvalidDataException>(() => Pleura.Study.StudySpec.Load(dir.File("bad.yaml")));
        output.WriteLine(e.Message);
        Assert.Contains("precision", e.Message, StringComparison.Ordinal);
    }

    /// <summary>DenseNet concatenates bfloat16 convolution outputs with float32 features; VGG has no batch-norm: both train in bf16.</summary>
    [Theory]
    [InlineData("densenet121", 64)]
    [InlineData("vgg16", 32)]
    public void EveryBackboneFamilyTakesABFloat16TrainingStep(string architecture, int size)
    {
        var model = SeededInit.Create(6, () => Architectures.Get(architecture).Create(4, 1));
        Precision.TrainConvolutionsInBFloat16(model);
        model.train();
        using var x = ChannelsLast.Of(rand(2, 1, size, size, generator: new Generator(7)));
        using var labels = tensor(new long[] { 1, 3 });
        var loss = F.cross_entropy(model.call(x), labels);
        Assert.Equal(ScalarType.Float32, loss.dtype);
        Assert.True(float.IsFinite(loss.item<float>()));
        loss.backward();
        foreach (var (name, p) in model.named_parameters().Where(p => p.parameter.requires_grad))
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.NotNull(p.grad);
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
            Assert.True(p.grad.isfinite().all().item<bool>(), $"{architecture} {name}: gradient not finite");
        }
    }
}
