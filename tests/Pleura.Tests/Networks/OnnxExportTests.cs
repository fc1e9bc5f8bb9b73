using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pleura.Networks;
using Pleura.Networks.Backbones;
using Pleura.Networks.Export;
using Pleura.Networks.Weights;
using Pleura.Testing;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Pleura.Tests.Networks;

/// <summary>
/// Every backbone family exported to ONNX and run in ONNX Runtime gives Pleura's own probabilities (the path `predict`
/// takes, without test-time augmentation) to 1e-4: seeded random weights with batch-norm statistics far from their
/// defaults, saved and loaded as a checkpoint, fed through the graph's own input recipe, for grey (summed first
/// convolution) and RGB-shaped networks.
/// </summary>
public class OnnxExportTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly System.Text.Json.JsonSerializerOptions CaseInsensitive = new() { PropertyNameCaseInsensitive = true };
    static readonly InputRecipe TorchvisionImageNet = new() { Mean = new[] { 0.485, 0.456, 0.406 }, Std = new[] { 0.229, 0.224, 0.225 } };

    /// <summary>Architecture, network input channels, input recipe, and the factor that brings its logits to order one
    /// (the CNTK recipe's 0-255 input already makes them large).</summary>
    public static TheoryData<string, int, string, float> Checkpoints => new()
    {
        { "resnet18", 3, "torchvision", 50 },
        { "resnet50", 1, "cntk", 1 },
        { "resnet18-cntk-l34", 3, "cntk", 1 },
        { "densenet121", 1, "unit", 50 },
        { "densenet121", 3, "torchvision", 50 },
    };

    static InputRecipe Recipe(string name) => name switch
    {
        "torchvision" => TorchvisionImageNet,
        "cntk" => InputRecipe.ImageNetCntk,
        _ => InputRecipe.UnitGrey,
    };

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public void ExportedCheckpointMatchesPleuraInOnnxRuntime(string architecture, int channels, string recipe, float headScale)
    {
        using var folder = new TempFolder();
        const int size = 64;
        var info = new CheckpointInfo
        {
            Architecture = architecture, Classes = new[] { "clear", "mild", "moderate", "severe" }, InputSize = size, InputChannels = channels,
            Input = recipe == "unit" ? null : Recipe(recipe), Side = "left",
        };
        var path = folder.File("model.safetensors");
        using (var built = SeededInit.Create(11, () => Architectures.Get(architecture).Create(info.Classes.Count, channels)))
        {
            Randomise(built, 12, headScale);
            Checkpoint.Save(path, built, info);
        }
        var (model, loaded) = Checkpoint.Load(path);
        using (model) output.WriteLine(Compare(model, loaded));
    }

    /// <summary>
    /// VGG with torchvision's layout and the same emitter as VGG-16, made narrow so the test stays small; at 32 px its
    /// trunk ends in 4x4 maps that torch's adaptive pool spreads over 7x7 bins (the exporter's matrix form), at 112 px
    /// in 14x14 maps (an ordinary 2x2 average), at 224 px in 7x7.
    /// </summary>
    [Theory]
    [InlineData(32, 3)]
    [InlineData(112, 1)]
    [InlineData(224, 3)]
    public void NarrowVggMatchesPleuraInOnnxRuntime(int size, int channels)
    {
        using var model = SeededInit.Create(5, () => new Vgg("vgg-narrow", new[] { 8, -1, 16, -1, 16, 16, -1 }, 3, channels));
        model.eval();
        ScaleHead(model, 100);
        ChannelsLast.Weights(model);
        var info = new CheckpointInfo { Architecture = "vgg16", Classes = new[] { "a", "b", "c" }, InputSize = size, InputChannels = channels, Input = TorchvisionImageNet };
        output.WriteLine(Compare(model, info));
    }

    [Fact]
    public void AnUnknownPieceIsRefusedByName()
    {
        using var model = SeededInit.Create(1, () => ResNet.ResNet18(4, 1));
        model.register_module("extra", nn.GELU());
        model.eval();
        var info = new CheckpointInfo { Architecture = "resnet18", Classes = new[] { "a", "b", "c", "d" }, InputSize = 64, InputChannels = 1 };
        var error = Assert.Throws<InvalidDataException>(() => OnnxExport.Build(model, info));
        Assert.Contains("extra", error.Message);
        Assert.Contains("GELU", error.Message);

        using var other = nn.Sequential(("conv", nn.Conv2d(1, 4, 3)));
        error = Assert.Throws<InvalidDataException>(() => OnnxExport.Build(other, info));
        Assert.Contains("Sequential", error.Message);
    }

    [Fact]
    public void BatchNormIsExportedWithItsRunningStatistics()
    {
        using var model = SeededInit.Create(3, () => Architectures.Get("resnet10-w16").Create(4, 1));
        Randomise(model, 4, 1);
        model.eval();
        var info = new CheckpointInfo { Architecture = "resnet10-w16", Classes = new[] { "a", "b", "c", "d" }, InputSize = 64, InputChannels = 1 };
        var proto = OnnxExport.Build(model, info);
        var norms = proto.Graph.Node.Where(n => n.OpType == "BatchNormalization").ToList();
        Assert.Equal(model.modules().OfType<BatchNorm2d>().Count(), norms.Count);
        // Eval mode: no node asks for training behaviour, and the fourth input holds bn1's running mean as trained.
        Assert.DoesNotContain(norms.SelectMany(n => n.Attribute), a => a.Name == "training_mode" && a.I != 0);
        var bn1 = norms.First();
        var mean = proto.Graph.Initializer.Single(t => t.Name == bn1.Input[3]);
        Assert.Equal("bn1.running_mean", mean.Name);
        var expected = ((BatchNorm2d)model.named_modules().Single(m => m.name == "bn1").module).running_mean!.data<float>().ToArray();
        Assert.Equal(expected, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(mean.RawData.Span).ToArray());
        Assert.Equal(OnnxExport.Opset, proto.OpsetImport.Single().Version);
    }

    /// <summary>Weights and batch-norm statistics away from their initial values, so an export that ignored the running
    /// statistics or a scale would be caught.</summary>
    internal static void Randomise(nn.Module model, long seed, float headScale)
    {
        var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var norm in model.modules().OfType<BatchNorm2d>())
        {
            long n = norm.num_features;
            norm.running_mean!.copy_(rand(n, generator: generator).sub(0.5f).mul(0.2f));
            norm.running_var!.copy_(rand(n, generator: generator).add(0.5f));
            norm.weight!.copy_(rand(n, generator: generator).add(0.5f));
            norm.bias!.copy_(rand(n, generator: generator).sub(0.5f).mul(0.2f));
        }
        ScaleHead(model, headScale);
    }

    /// <summary>A head scaled up so the logits are of order one: a small error before it would otherwise vanish in them.</summary>
    static void ScaleHead(nn.Module model, float factor)
    {
        using var _ = no_grad();
        model.modules().OfType<Linear>().Last().weight!.mul_(factor);
    }

    /// <summary>Pleura's probabilities and logits against ONNX Runtime's on the same grey images.</summary>
    internal static string Compare(nn.Module<Tensor, Tensor> model, CheckpointInfo info)
    {
        using var scope = NewDisposeScope();
        int size = info.InputSize, batch = 3;
        var grey = rand(new long[] { batch, 1, size, size }, generator: new Generator(21));
        var pleura = Inference.Probabilities(model, grey, info.InputChannels, info.Recipe);
        float[] pleuraLogits;
        using (no_grad()) pleuraLogits = model.call(info.Recipe.Feed(grey, info.InputChannels)).contiguous().data<float>().ToArray();

        var bytes = OnnxExport.ToBytes(model, info);
        using var session = new InferenceSession(bytes);
        var input = new DenseTensor<float>(grey.contiguous().data<float>().ToArray(), new[] { batch, 1, size, size });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, input) });
        var probabilities = results.Single(r => r.Name == OnnxExport.ProbabilitiesName).AsTensor<float>().ToArray();
        var logits = results.Single(r => r.Name == OnnxExport.LogitsName).AsTensor<float>().ToArray();

        var expected = pleura.SelectMany(p => p).ToArray();
        Assert.Equal(expected.Length, probabilities.Length);
        double worst = expected.Zip(probabilities).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= 1e-4, $"{info.Architecture}: max probability difference {worst:E2}");
        double scale = Math.Max(1, pleuraLogits.Max(Math.Abs));
        double worstLogit = pleuraLogits.Zip(logits).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worstLogit <= 1e-4 * scale, $"{info.Architecture}: max logit difference {worstLogit:E2} (logits up to {scale:0.0})");
        Assert.True(pleuraLogits.Max(Math.Abs) > 0.5, $"{info.Architecture}: logits too small ({pleuraLogits.Max(Math.Abs):E2}) for the comparison to mean much");
        // The images must not all get the same answer, or the comparison would prove little.
        Assert.True(logits.Max() - logits.Min() > 1e-3, "logits are constant");

        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(info.Architecture, metadata["pleura.architecture"]);
        Assert.Equal(size.ToString(System.Globalization.CultureInfo.InvariantCulture), metadata["pleura.input_size"]);
        var recipe = System.Text.Json.JsonSerializer.Deserialize<InputRecipe>(metadata["pleura.input_recipe"], CaseInsensitive)!;
        Assert.Equal(info.Recipe.Mean, recipe.Mean);
        Assert.Equal(info.Recipe.Scale, recipe.Scale);
        return $"{info.Architecture} {size} px, {info.InputChannels} channel(s): max |probability difference| {worst:E2}, max |logit difference| {worstLogit:E2} (logits up to {scale:0.0})";
    }

    /// <summary>
    /// ONNX's own checker (Debian's python3-onnx, the reference implementation) accepts the exported graphs with full
    /// shape inference: every family, a grey and an RGB-shaped input, a non-trivial recipe.
    /// </summary>
    [SkippableFact]
    public void OnnxCheckerAcceptsEveryFamily()
    {
        const string python = "/usr/bin/python3";
        Skip.IfNot(File.Exists(python) && RunPython(python, "import onnx").Code == 0, "Debian's python3-onnx is not installed (apt-get install python3-onnx; .ci/run installs it)");
        using var folder = new TempFolder();
        var models = new (string Name, Func<nn.Module<Tensor, Tensor>> Create, int Size, int Channels)[]
        {
            ("resnet10-w16", () => Architectures.Get("resnet10-w16").Create(4, 1), 64, 1),
            ("resnet50", () => new ResNet("resnet50", true, new[] { 1, 1, 1, 1 }, 4, 16, 3), 64, 3),
            ("vgg16", () => new Vgg("vgg16", new[] { 8, -1, 16, -1, 16, -1 }, 4, 3), 32, 3),
            ("densenet121", () => DenseNet.DenseNet121(4, 1), 32, 1),
        };
        var files = new List<string>();
        foreach (var (name, create, size, channels) in models)
        {
            using var model = SeededInit.Create(1, create);
            model.eval();
            var info = new CheckpointInfo { Architecture = name, Classes = new[] { "a", "b", "c", "d" }, InputSize = size, InputChannels = channels, Input = TorchvisionImageNet };
            files.Add(folder.File(name + ".onnx"));
            File.WriteAllBytes(files[^1], OnnxExport.ToBytes(model, info));
        }
        var script = "import onnx, sys\n" +
                     "for f in sys.argv[1:]:\n" +
                     "    m = onnx.load(f)\n" +
                     "    onnx.checker.check_model(m, full_check=True)\n" +
                     "    out = onnx.shape_inference.infer_shapes(m, strict_mode=True).graph.output\n" +
                     "    print(f, [[d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in out])\n";
        var (code, text) = RunPython(python, script, files.ToArray());
        Assert.True(code == 0, text);
        foreach (var file in files) Assert.Contains($"{file} [['batch', 4], ['batch', 4]]", text);
    }

    static (int Code, string Output) RunPython(string python, string script, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error);
    }
}
