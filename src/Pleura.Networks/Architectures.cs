using Pleura.Networks.Backbones;
using static TorchSharp.torch;

namespace Pleura.Networks;

/// <summary>A network architecture Pleura can build, by name.</summary>
/// <param name="HeadPrefix">The classifier layer replaced for a new task and trained alone in stage 1.</param>
/// <param name="DefaultUnfreeze">The paper's "last N convolutional layers" for stage 2.</param>
/// <param name="ClassifierPrefix">Everything after the convolutional trunk; stage 2 trains all of it (for VGG-16 the
/// two 4096-wide layers as well as the new head).</param>
/// <param name="InputMultiple">Input sizes must be a multiple of this (the CNTK export pads strided layers at the start
/// only, which equals torchvision's symmetric padding only while every strided layer sees an even size).</param>
/// <summary>
/// What Pleura knows about one network: how to build it, its head (replaced when transferring), the default stage-2
/// depth, the METHOD's Grad-CAM layer, the input sizes its weights allow, and whether torchvision has the same network
/// (Pleura-only variants have no PyTorch twin to compare against).
/// </summary>
public sealed record ArchitectureInfo(string Name, string Description, string HeadPrefix, int DefaultUnfreeze, Func<int, int, nn.Module<Tensor, Tensor>> Create,
    string? ClassifierPrefix = null, int InputMultiple = 1, string GradCamLayer = "layer4", bool InTorchvision = false)
{
    /// <summary>Refuses an input size the weights' padding would treat differently.</summary>
    public void CheckInputSize(int size)
    {
        if (size % InputMultiple != 0)
            throw new ArgumentOutOfRangeException(nameof(size), size,
                $"{Name} takes input sizes that are multiples of {InputMultiple} (e.g. {size / InputMultiple * InputMultiple} or {(size / InputMultiple + 1) * InputMultiple}): " +
                "its exported padding differs from Pleura's at odd sizes inside the network");
    }

    public string Stage2Prefix => ClassifierPrefix ?? HeadPrefix;
}

/// <summary>The architectures Pleura builds, with torchvision's parameter names.</summary>
public static class Architectures
{
    static readonly ArchitectureInfo[] All =
    {
        new("resnet18", "ResNet-18 (torchvision)", "fc.", 5, (k, c) => ResNet.ResNet18(k, c), InTorchvision: true),
        new("resnet34", "ResNet-34 (torchvision)", "fc.", 5, (k, c) => ResNet.ResNet34(k, c), InTorchvision: true),
        // The ImageNet ResNet-18 that ML.NET ships as ONNX (exported from CNTK): torchvision's layout, but layer4 has three
        // blocks (`pleura weights imagenet` imports it).
        new("resnet18-cntk", "ResNet-18 as exported from CNTK (layer4 of three blocks): the ImageNet weights Pleura has offline", "fc.", 5,
            (k, c) => new ResNet("resnet18-cntk", false, new[] { 2, 2, 2, 3 }, k, 64, c), InputMultiple: 32),
        // The same with its head on layer3's and layer4's pooled features: the ImageNet start loads unchanged (only the head differs).
        new("resnet18-cntk-l34", "ResNet-18 (CNTK ImageNet weights) whose head reads layer3's and layer4's pooled features", "fc.", 5,
            (k, c) => new ResNet("resnet18-cntk-l34", false, new[] { 2, 2, 2, 3 }, k, 64, c, headOnLayer3: true), InputMultiple: 32),
        new("resnet50", "ResNet-50 (torchvision), the paper's chosen backbone", "fc.", 5, (k, c) => ResNet.ResNet50(k, c), InTorchvision: true),
        // The ReLU after the last convolution, before the last max-pool.
        new("vgg16", "VGG-16 (torchvision)", "classifier.6.", 5, (k, c) => Vgg.Vgg16(k, c), "classifier.", GradCamLayer: "features.29", InTorchvision: true),
        new("densenet121", "DenseNet-121 (torchvision), CheXNet's architecture", "classifier.", 15, (k, c) => DenseNet.DenseNet121(k, c),
            GradCamLayer: "features.norm5", InTorchvision: true),
        // Small ResNets for CPU demos and tests: torchvision's layout with one block per stage and narrow stages.
        new("resnet10-w32", "ResNet-10, 32 channels in the first stage (small, for CPU runs)", "fc.", 5,
            (k, c) => new ResNet("resnet10-w32", false, new[] { 1, 1, 1, 1 }, k, 32, c)),
        new("resnet10-w16", "ResNet-10, 16 channels in the first stage (tiny, for tests)", "fc.", 5,
            (k, c) => new ResNet("resnet10-w16", false, new[] { 1, 1, 1, 1 }, k, 16, c)),
    };

    public static IReadOnlyList<string> Names => All.Select(a => a.Name).ToList();

    public static ArchitectureInfo Get(string name) =>
        All.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown architecture '{name}'; choose one of {string.Join(", ", Names)}");
}
