using System.Text.Json;
using Pleura.Networks.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace Pleura.Tests.Networks;

/// <summary>ResNets with torchvision's names and numerics: keys, shapes and order, and logits with the formula weights.</summary>
public class ResNetParityTests
{
    internal static nn.Module<Tensor, Tensor> Create(string arch) => arch switch
    {
        "resnet18" => ResNet.ResNet18(4),
        "resnet34" => ResNet.ResNet34(4),
        "resnet50" => ResNet.ResNet50(4),
        _ => throw new ArgumentException(arch),
    };

    internal static void AssertKeysMatch(string arch, nn.Module module)
    {
        var expected = JsonDocument.Parse(File.ReadAllText(SharedFolder.Require("fixtures", "models", "state_dict_keys.json")))
            .RootElement.GetProperty(arch).EnumerateArray()
            .Select(e => (e.GetProperty("key").GetString()!, string.Join("x", e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64())),
                e.GetProperty("dtype").GetString() == "int64" ? "Int64" : "Float32"))
            .ToList();
        var actual = Pleura.Networks.StateDicts.Ordered(module).Select(kv => (kv.Key, string.Join("x", kv.Value.shape), kv.Value.dtype.ToString())).ToList();
        Assert.Equal(expected, actual);
    }

    internal static void AssertLogits(string fixture, Tensor logits, double tolerance = 1e-4)
    {
        var expected = JsonDocument.Parse(File.ReadAllText(SharedFolder.Require("fixtures", "models", fixture))).RootElement
            .GetProperty("logits").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        var actual = logits.to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        double worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= tolerance, $"max abs difference {worst:E2} > {tolerance:E0}");
    }

    [SkippableTheory]
    [InlineData("resnet18")]
    [InlineData("resnet34")]
    [InlineData("resnet50")]
    public void KeysShapesOrderAndLogitsMatchTorchvision(string arch)
    {
        using var scope = NewDisposeScope();
        var model = Create(arch);
        AssertKeysMatch(arch, model);
        FormulaWeights.Fill(model);
        model.eval();
        using var _ = no_grad();
        AssertLogits($"{arch}.logits.json", model.call(FormulaWeights.Image(2, 3, 64, 64, 1)));
    }
}
