using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using Pleura.Networks;
using Pleura.Networks.Backbones;
using Pleura.Networks.Weights;
using static TorchSharp.torch;

namespace Pleura.Tests.Networks;

/// <summary>
/// The ImageNet ResNet-18 that NuGet ships as ONNX, imported by walking its graph: Pleura's network computes what ONNX
/// Runtime computes on the same file, at the graph's own 224x224 and at another size.
/// </summary>
public class OnnxImportTests
{
    [Theory]
    [InlineData(224)]
    [InlineData(160)]
    public void ImportedResNet18FeaturesEqualOnnxRuntime(int size)
    {
        using var scope = NewDisposeScope();
        var path = ImageNetWeights.OnnxPath();
        var (model, weights, report) = ImageNetWeights.Import(path, ImageNetWeights.Architecture);
        Assert.Equal(new[] { 2, 2, 2, 3 }, weights.BlocksPerStage);
        Assert.Equal(110, weights.Mapping.Count);
        Assert.Contains("fc.weight", report.SkippedHead);
        model.eval();

        // A radiograph-like input fed by the recipe the weights came with (BGR, 0-255, minus the means).
        var grey = rand(new long[] { 2, 1, size, size }, generator: new Generator(7));
        var input = InputRecipe.ImageNetCntk.Feed(grey, 3).contiguous();
        float[] pleura;
        using (no_grad()) pleura = ((ResNet)model).FeatureMaps(input).mean(new long[] { 2, 3 }).contiguous().data<float>().ToArray();

        var reference = OnnxRuntimeFeatures(path, input.data<float>().ToArray(), 2, size);
        Assert.Equal(reference.Length, pleura.Length);
        double worst = reference.Zip(pleura).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= 1e-4, $"max abs difference {worst:E2} at {size}x{size}");
        Assert.True(reference.Max() > 0.1, "features are not trivially zero");
    }

    /// <summary>ONNX Runtime on the same file, its input resized and CNTK's fixed 7x7 pooling taken off, so the last ReLU
    /// is the output, pooled here over the whole map as torchvision's adaptive pooling does.</summary>
    static float[] OnnxRuntimeFeatures(string path, float[] input, int batch, int size)
    {
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var dims = proto.Graph.Input[0].Type.TensorType.Shape.Dim;
        dims[0].DimValue = batch;
        dims[2].DimValue = size;
        dims[3].DimValue = size;
        proto.Graph.ValueInfo.Clear();
        var pool = proto.Graph.Node.Single(n => n.OpType == "AveragePool");
        var lastRelu = pool.Input[0];
        proto.Graph.Node.Remove(pool);
        proto.Graph.Output.Clear();
        proto.Graph.Output.Add(new ValueInfoProto { Name = lastRelu, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        using var session = new InferenceSession(proto.ToByteArray());
        var tensor = new DenseTensor<float>(input, new[] { batch, 3, size, size });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(proto.Graph.Input[0].Name, tensor) });
        var maps = results[0].AsTensor<float>();
        int channels = maps.Dimensions[1], cells = maps.Dimensions[2] * maps.Dimensions[3];
        var values = maps.ToArray();
        var pooled = new float[batch * channels];
        for (int i = 0; i < pooled.Length; i++)
        {
            double sum = 0;
            for (int j = 0; j < cells; j++) sum += values[i * cells + j];
            pooled[i] = (float)(sum / cells);
        }
        return pooled;
    }

    [Fact]
    public void OddAndNonMultipleSizesAreRefusedWithTheReason()
    {
        var info = Architectures.Get(ImageNetWeights.Architecture);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => info.CheckInputSize(225));
        Assert.Contains("multiples of 32", error.Message);
        info.CheckInputSize(256);
    }

    [Fact]
    public void AGraphOfAnotherShapeIsRefusedForTheArchitecture()
    {
        var error = Assert.Throws<InvalidDataException>(() => ImageNetWeights.Import(ImageNetWeights.OnnxPath(), "resnet18"));
        Assert.Contains("2, 2, 2, 3", error.Message);
        Assert.Contains("resnet18-cntk", error.Message);
    }

    [Fact]
    public void NotAnOnnxFileIsNamed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pleura-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, new byte[] { 1, 2, 3, 4, 5, 6, 7 });
        try
        {
            var error = Assert.ThrowsAny<Exception>(() => OnnxResNet.Read(path));
            Assert.Contains(path, error.Message);
        }
        finally { File.Delete(path); }
    }
}
