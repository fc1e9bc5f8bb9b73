using static TorchSharp.torch;

namespace Pleura.Networks.Weights;

/// <summary>
/// The one set of ImageNet weights available offline: the ResNet-18 that the NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 (MIT) ships as ONNX, exported from CNTK. The build copies the file beside
/// every program (models/imagenet/); the NuGet cache is the fall-back. Nothing is downloaded.
/// </summary>
public static class ImageNetWeights
{
    public const string Package = "Microsoft.ML.DnnImageFeaturizer.ResNet18", PackageVersion = "0.23.1";
    public const string Architecture = "resnet18-cntk";
    const string FileInPackage = "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx";

    /// <summary>The ONNX file, or an error that says how to get it.</summary>
    public static string OnnxPath()
    {
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, "models", "imagenet", "ResNet18.onnx") };
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        candidates.Add(Path.Combine(cache, Package.ToLowerInvariant(), PackageVersion, FileInPackage));
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"the ImageNet ResNet-18 (NuGet package {Package} {PackageVersion}) was not found at {string.Join(" or ", candidates)}; " +
            "run `dotnet build` in the Pleura folder (NuGet restores it), or pass the ONNX file with --onnx");
    }

    /// <summary>Reads an ONNX ResNet into the named architecture and checks that the graph's stages fit it.</summary>
    public static (nn.Module<Tensor, Tensor> Model, OnnxResNetWeights Weights, LoadReport Report) Import(string onnxPath, string architecture, int classes = 4)
    {
        var weights = OnnxResNet.Read(onnxPath);
        var info = Architectures.Get(architecture);
        var model = info.Create(classes, 3);
        if (model is not Backbones.ResNet resnet || resnet.Blocks.SequenceEqual(weights.BlocksPerStage) is false || resnet.Bottlenecked != weights.Bottleneck)
            throw new InvalidDataException(
                $"{onnxPath}: the graph is a {(weights.Bottleneck ? "bottleneck" : "basic-block")} ResNet with blocks {string.Join(", ", weights.BlocksPerStage)} per stage, " +
                $"which {architecture} is not (for the ML.NET ImageNet file use --arch {Architecture})");
        bool hasHead = weights.Tensors.Any(kv => kv.Key == info.HeadPrefix + "weight");
        var report = WeightLoader.Load(model, weights.Tensors, hasHead ? null : info.HeadPrefix, onnxPath);
        return (model, weights, report);
    }
}
