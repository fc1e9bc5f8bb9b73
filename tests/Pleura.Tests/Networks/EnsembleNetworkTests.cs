using Pleura.Explainability;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Testing;
using static TorchSharp.torch;

namespace Pleura.Tests.Networks;

/// <summary>
/// A study's answer is an ensemble saved as one checkpoint: it must answer the mean of its members' probabilities
/// through every path one network takes (softmax of its output, a saved and loaded checkpoint, bfloat16 inference,
/// Grad-CAM, ONNX), and refuse to be mistaken for one backbone to start training from.
/// </summary>
public class EnsembleNetworkTests(Xunit.Abstractions.ITestOutputHelper output)
{
    const int Size = 48;

    static nn.Module<Tensor, Tensor> Member(long seed)
    {
        var model = SeededInit.Create(seed, () => Architectures.Get("resnet10-w16").Create(4, 1));
        OnnxExportTests.Randomise(model, seed + 100, 20);
        model.eval();
        return model;
    }

    static CheckpointInfo Info(int members) => new()
    {
        Architecture = "resnet10-w16", Classes = new[] { "clear", "mild", "moderate", "severe" }, InputSize = Size, InputChannels = 1, Side = "left",
        EnsembleMembers = members > 1 ? Enumerable.Range(1, members).Select(i => $"member {i}").ToList() : null,
    };

    static Tensor Images(int n) => rand(new long[] { n, 1, Size, Size }, generator: new TorchSharp.torch.Generator(3));

    [Fact]
    public void ItsSoftmaxIsTheMeanOfItsMembersProbabilitiesAndSurvivesACheckpoint()
    {
        using var folder = new TempFolder();
        var members = new[] { Member(1), Member(2), Member(3) };
        using var x = Images(5);
        using var _ = no_grad();
        using var expected = members.Select(m => m.call(x).softmax(1)).Aggregate((a, b) => a + b) / 3;
        using var ensemble = new EnsembleNetwork(members);
        using var answered = ensemble.call(x).softmax(1);
        Assert.True(answered.allclose(expected, rtol: 0, atol: 1e-6));

        string path = folder.File("model.safetensors");
        Checkpoint.Save(path, ensemble, Info(3));
        var (loaded, info) = Checkpoint.Load(path);
        using (loaded)
        {
            Assert.IsType<EnsembleNetwork>(loaded);
            Assert.Equal(3, info.EnsembleMembers!.Count);
            using var again = loaded.call(x).softmax(1);
            Assert.True(again.allclose(expected, rtol: 0, atol: 1e-6));
        }

        // bfloat16 inference keeps every member's stem in float32 (each member sees the raw image).
        var (half, _) = Checkpoint.Load(path);
        using (half)
        {
            Precision.ConvolutionsToBFloat16(half);
            foreach (var member in ((EnsembleNetwork)half).Members)
            {
                var convolutions = ModuleTree.DepthFirst(member).Select(m => m.Module).OfType<TorchSharp.Modules.Conv2d>().ToList();
                Assert.Equal(ScalarType.Float32, convolutions[0].weight.dtype);
                Assert.All(convolutions.Skip(1), c => Assert.Equal(ScalarType.BFloat16, c.weight.dtype));
            }
            using var approximate = half.call(x).softmax(1);
            double difference = (approximate - expected).abs().max().item<float>();
            output.WriteLine($"bf16 ensemble: max |probability difference| {difference:E2}");
            Assert.True(difference < 0.05, $"{difference}");
        }
    }

    [Fact]
    public void ItsGradCamIsTheMeanOfItsMembersMapsWithTheEnsemblesProbabilities()
    {
        var a = Member(4);
        var b = Member(5);
        using var x = Images(2);
        string layer = GradCam.DefaultLayer("resnet10-w16");
        var mapsA = GradCam.Compute(a, layer, x);
        var mapsB = GradCam.Compute(b, layer, x);
        using var ensemble = new EnsembleNetwork(new[] { a, b });
        var maps = GradCam.Compute(ensemble, layer, x);
        for (int i = 0; i < maps.Raw.Length; i++) Assert.Equal((mapsA.Raw[i] + mapsB.Raw[i]) / 2, maps.Raw[i], 5);
        for (int n = 0; n < 2; n++)
        {
            var p = maps.Probabilities(n);
            var (pa, pb) = (mapsA.Probabilities(n), mapsB.Probabilities(n));
            for (int c = 0; c < 4; c++) Assert.Equal((pa[c] + pb[c]) / 2, p[c], 5);
        }
    }

    [Fact]
    public void AnEnsembleCheckpointIsRefusedAsAPretrainedStartWithTheReason()
    {
        using var folder = new TempFolder();
        string path = folder.File("answer.safetensors");
        using (var ensemble = new EnsembleNetwork(new[] { Member(6), Member(7) })) Checkpoint.Save(path, ensemble, Info(2));
        using var model = Architectures.Get("resnet10-w16").Create(4, 1);
        var error = Assert.Throws<InvalidDataException>(() => PretrainedStart.Load(model, Architectures.Get("resnet10-w16").HeadPrefix, path));
        Assert.Contains("is an ensemble of 2 networks", error.Message);
        Assert.Contains(path, error.Message);
    }
}
