using Google.Protobuf;
using Onnx;
using Pleura.Networks.Backbones;
using Pleura.Networks.Weights;
using static TorchSharp.torch;

namespace Pleura.Networks.Export;

/// <summary>
/// A Pleura checkpoint as a self-contained ONNX model (float32, opset 17). The graph's input is what Pleura's readers
/// produce, the grey radiograph in [0, 1] at the checkpoint's input size (N x 1 x S x S, any batch); the graph applies
/// the input recipe itself (scale, channel replication, means and spreads, exactly as <see cref="InputRecipe.Feed"/>),
/// runs the network in eval mode (batch-norm on its running statistics, dropout off) and gives the logits and the
/// softmax probabilities. The checkpoint's description travels in the model's metadata (<see cref="OnnxModelCard"/>).
/// </summary>
public static class OnnxExport
{
    public const int Opset = 17;
    /// <summary>ONNX IR version 8 goes with opset 17.</summary>
    public const long IrVersion = 8;
    public const string InputName = "image";
    public const string LogitsName = "logits";
    public const string ProbabilitiesName = "probabilities";
    const long Float = (long)TensorProto.Types.DataType.Float;

    public static byte[] ToBytes(nn.Module<Tensor, Tensor> model, CheckpointInfo info) => Build(model, info).ToByteArray();

    public static ModelProto Build(nn.Module<Tensor, Tensor> model, CheckpointInfo info)
    {
        info.Recipe.Check();
        if (info.InputChannels is not (1 or 3)) throw OnnxLayers.Unsupported("", $"takes {info.InputChannels} input channels (1 or 3 expected)");
        long size = info.InputSize;
        var g = new OnnxGraph();
        g.Input(InputName, Float, "batch", 1, size, size);
        var x = Recipe(g, info.Recipe, info.InputChannels, new OnnxValue(InputName, new[] { 1L, size, size }));
        var networks = EnsembleNetwork.NetworksOf(model);
        var outputs = networks.Select((network, i) =>
        {
            g.Scope = networks.Count > 1 ? $"member{i}." : "";
            return Emit(g, network, x);
        }).ToList();
        g.Scope = "";
        // An ensemble answers the mean of its members' probabilities; its logits are their log, as EnsembleNetwork's.
        var logits = outputs.Count == 1 ? outputs[0] : outputs[0] with
        {
            Name = g.Node("Log", "ensemble.log", new[]
            {
                g.Node("Mean", "ensemble.mean", outputs.Select((o, i) => g.Node("Softmax", $"member{i}.probabilities", new[] { o.Name }, OnnxGraph.Int("axis", 1)))),
            }),
        };
        if (logits.Shape.Count != 1 || logits.Shape[0] != info.Classes.Count)
            throw OnnxLayers.Unsupported("", $"ends in {string.Join("x", logits.Shape)} outputs, but its checkpoint names {info.Classes.Count} classes");
        var named = g.Node("Identity", LogitsName, new[] { logits.Name });
        var probabilities = g.Node("Softmax", ProbabilitiesName, new[] { named }, OnnxGraph.Int("axis", 1));
        if (named != LogitsName || probabilities != ProbabilitiesName) throw OnnxLayers.Unsupported("", "has a layer named like the graph's outputs");
        g.Output(LogitsName, Float, "batch", info.Classes.Count);
        g.Output(ProbabilitiesName, Float, "batch", info.Classes.Count);
        g.Proto.Name = $"pleura_{info.Architecture}" + (info.Side.Length > 0 ? "_" + info.Side : "");

        var proto = new ModelProto
        {
            IrVersion = IrVersion, ProducerName = "Pleura", ProducerVersion = OnnxModelCard.PleuraVersion, Domain = "org.pleura",
            ModelVersion = 1, DocString = OnnxModelCard.Summary(info), Graph = g.Proto,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in OnnxModelCard.Properties(info))
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    static OnnxValue Emit(OnnxGraph g, nn.Module<Tensor, Tensor> network, OnnxValue x) => network switch
    {
        ResNet net => ResNetOnnx.Emit(g, net, x),
        Vgg net => VggOnnx.Emit(g, net, x),
        DenseNet net => DenseNetOnnx.Emit(g, net, x),
        _ => throw OnnxLayers.Unsupported("", $"is a {network.GetType().Name}: Pleura exports ResNet, VGG and DenseNet networks"),
    };

    /// <summary>The input recipe as graph nodes, the same arithmetic in the same order as <see cref="InputRecipe.Feed"/>.</summary>
    static OnnxValue Recipe(OnnxGraph g, InputRecipe recipe, int channels, OnnxValue grey)
    {
        var x = grey;
        if (channels == 3)
            x = new(g.Node("Concat", "input.replicate", new[] { grey.Name, grey.Name, grey.Name }, OnnxGraph.Int("axis", 1)), new[] { 3L, grey.Height, grey.Width });
        if (recipe.IsUnitGrey) return x;
        var (mean, std) = channels == 3
            ? (recipe.Mean.Select(m => (float)m).ToArray(), recipe.Std.Select(s => (float)s).ToArray())
            : (new[] { (float)recipe.Mean.Average() }, new[] { (float)recipe.Std.Average() });
        var dims = new long[] { 1, channels, 1, 1 };
        var scaled = g.Node("Mul", "input.scale", new[] { x.Name, g.Initializer("input.scale_factor", new[] { (float)recipe.Scale }, Array.Empty<long>()) });
        var centred = g.Node("Sub", "input.centre", new[] { scaled, g.Initializer("input.mean", mean, dims) });
        return x with { Name = g.Node("Div", "input.normalise", new[] { centred, g.Initializer("input.std", std, dims) }) };
    }
}
