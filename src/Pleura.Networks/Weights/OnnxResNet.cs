using Onnx;
using static TorchSharp.torch;

namespace Pleura.Networks.Weights;

/// <summary>One ONNX initializer and the state-dict key it became.</summary>
public sealed record OnnxMapping(string OnnxName, string Key, string Shape);

/// <summary>What an ONNX ResNet holds: torchvision-named tensors, how each was found, and the graph's shape.</summary>
/// <param name="BlocksPerStage">Residual blocks per stage, read from the graph (CNTK's ResNet-18: 2, 2, 2, 3).</param>
/// <param name="Notes">Facts about the graph a user should know (paddings, opset, the missing head).</param>
public sealed record OnnxResNetWeights(
    IReadOnlyList<KeyValuePair<string, Tensor>> Tensors, IReadOnlyList<OnnxMapping> Mapping, IReadOnlyList<int> BlocksPerStage,
    bool Bottleneck, int InputSize, IReadOnlyList<string> Notes);

/// <summary>
/// Reads a ResNet saved as ONNX (Conv, BatchNormalization, Relu, Add, pooling, optionally Gemm) into torchvision's
/// names by walking the graph, never by the order of the initializer list: the convolution on the graph input is
/// <c>conv1</c>; each <c>Add</c> closes a residual block whose main path (Conv-BN, Relu between) gives
/// <c>convK</c>/<c>bnK</c> and whose shortcut, when not the block's input itself, is <c>downsample.0/1</c>; a block
/// with a projection shortcut starts a new stage. Anything the walk does not account for is refused by name.
/// </summary>
public static class OnnxResNet
{
    public static OnnxResNetWeights Read(string path)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)); }
        catch (Google.Protobuf.InvalidProtocolBufferException e) { throw new InvalidDataException($"{path}: not an ONNX model ({e.Message})", e); }
        var graph = model.Graph ?? throw new InvalidDataException($"{path}: the ONNX file holds no graph");
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var producer = new Dictionary<string, NodeProto>();
        foreach (var node in graph.Node) foreach (var output in node.Output) producer[output] = node;
        var input = graph.Input.FirstOrDefault(i => !initializers.ContainsKey(i.Name))
                    ?? throw new InvalidDataException($"{path}: the graph has no image input");

        var tensors = new List<KeyValuePair<string, Tensor>>();
        var mapping = new List<OnnxMapping>();
        var used = new HashSet<string>();
        var notes = new List<string> { $"ONNX opset {string.Join(", ", model.OpsetImport.Select(o => o.Version))}, producer {model.ProducerName} {model.ProducerVersion}".Trim() };

        void Add(string key, string onnxName)
        {
            var proto = initializers.TryGetValue(onnxName, out var p) ? p : throw new InvalidDataException($"{path}: {onnxName} is not an initializer");
            var t = ToTensor(proto, path);
            tensors.Add(new(key, t));
            mapping.Add(new(onnxName, key, string.Join("x", t.shape)));
            used.Add(onnxName);
        }
        void ConvBn(NodeProto conv, NodeProto bn, string convKey, string bnKey)
        {
            if (conv.Input.Count > 2) throw new InvalidDataException($"{path}: convolution {conv.Name} has a bias; torchvision's ResNets have none");
            Add(convKey + ".weight", conv.Input[1]);
            Add(bnKey + ".weight", bn.Input[1]);
            Add(bnKey + ".bias", bn.Input[2]);
            Add(bnKey + ".running_mean", bn.Input[3]);
            Add(bnKey + ".running_var", bn.Input[4]);
            tensors.Add(new(bnKey + ".num_batches_tracked", tensor(0L)));
            var eps = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            if (Math.Abs(eps - 1e-5f) > 1e-7f) throw new InvalidDataException($"{path}: batch-norm {bn.Name} has epsilon {eps}; Pleura's ResNets use 1e-5");
        }
        // A Conv -> BatchNormalization pair ending at tensor `name`, or null.
        (NodeProto Conv, NodeProto Bn)? PairEndingAt(string name) =>
            producer.TryGetValue(name, out var bn) && bn.OpType == "BatchNormalization"
            && producer.TryGetValue(bn.Input[0], out var conv) && conv.OpType == "Conv" ? (conv, bn) : null;

        var stem = graph.Node.FirstOrDefault(n => n.OpType == "Conv" && n.Input[0] == input.Name)
                   ?? throw new InvalidDataException($"{path}: no convolution reads the graph input {input.Name}");
        var stemBn = graph.Node.FirstOrDefault(n => n.OpType == "BatchNormalization" && n.Input[0] == stem.Output[0])
                     ?? throw new InvalidDataException($"{path}: the first convolution is not followed by batch-norm");
        ConvBn(stem, stemBn, "conv1", "bn1");
        notes.Add($"stem: 7x7 stride 2, pads {Ints(stem, "pads")}");

        var blocks = new List<int>();
        bool? bottleneck = null;
        int stage = 0, block = 0;
        foreach (var add in graph.Node.Where(n => n.OpType == "Add"))
        {
            // The main path is the input that ends in the longer Conv-BN chain.
            var chains = add.Input.Select(i => (Input: i, Chain: Chain(i))).OrderByDescending(c => c.Chain.Count).ToList();
            var main = chains[0].Chain;
            if (main.Count < 2) throw new InvalidDataException($"{path}: Add {add.Name} does not close a residual block");
            string blockInput = main[^1].Conv.Input[0];
            var shortcut = chains[1];
            bool projection = shortcut.Input != blockInput;
            if (projection && (shortcut.Chain.Count != 1 || shortcut.Chain[0].Conv.Input[0] != blockInput))
                throw new InvalidDataException($"{path}: the shortcut of Add {add.Name} is neither the block's input nor one Conv-BN");
            bool isBottleneck = main.Count == 3;
            if (main.Count is not (2 or 3) || (bottleneck is { } b && b != isBottleneck))
                throw new InvalidDataException($"{path}: block at Add {add.Name} has {main.Count} convolutions; expected a basic (2) or bottleneck (3) ResNet");
            bottleneck = isBottleneck;
            if (blocks.Count == 0 || projection) { blocks.Add(0); stage = blocks.Count; block = 0; }
            string prefix = $"layer{stage}.{block}";
            for (int k = 0; k < main.Count; k++)
            {
                var (conv, bn) = main[main.Count - 1 - k];
                ConvBn(conv, bn, $"{prefix}.conv{k + 1}", $"{prefix}.bn{k + 1}");
            }
            if (projection) ConvBn(shortcut.Chain[0].Conv, shortcut.Chain[0].Bn, $"{prefix}.downsample.0", $"{prefix}.downsample.1");
            blocks[^1]++;
            block++;
        }
        if (blocks.Count != 4) throw new InvalidDataException($"{path}: found {blocks.Count} stages of residual blocks; a ResNet has 4");
        var strided = graph.Node.Where(n => n.OpType == "Conv" && Ints(n, "strides") == "2, 2" && Ints(n, "kernel_shape") == "3, 3").Select(n => Ints(n, "pads")).Distinct();
        notes.Add($"stride-2 3x3 convolutions pad {string.Join(" / ", strided)} (begin, begin, end, end); max-pool pads {string.Join(" / ", graph.Node.Where(n => n.OpType == "MaxPool").Select(n => Ints(n, "pads")))}: " +
                  "for even input sizes the windows equal torchvision's symmetric padding (the end padding is never reached)");

        var gemm = graph.Node.FirstOrDefault(n => n.OpType == "Gemm");
        if (gemm is not null)
        {
            Add("fc.weight", gemm.Input[1]);
            if (gemm.Input.Count > 2) Add("fc.bias", gemm.Input[2]);
        }
        else notes.Add("no fully connected layer: the graph ends in features, so the classifier head starts as initialised");

        var left = initializers.Keys.Where(k => !used.Contains(k) && graph.Node.Any(n => n.Input.Contains(k))).ToList();
        if (left.Count > 0) throw new InvalidDataException($"{path}: initializers the walk did not place: {string.Join(", ", left.Take(10))}");
        int size = input.Type?.TensorType?.Shape?.Dim is { Count: 4 } dims && dims[2].DimValue > 0 ? (int)dims[2].DimValue : 224;
        return new OnnxResNetWeights(tensors, mapping, blocks, bottleneck ?? false, size, notes);

        // Conv-BN pairs from `end` backwards through Relu, newest first, until a tensor that is not a Relu of a Conv-BN.
        List<(NodeProto Conv, NodeProto Bn)> Chain(string end)
        {
            var chain = new List<(NodeProto, NodeProto)>();
            var name = end;
            while (PairEndingAt(name) is { } pair)
            {
                chain.Add(pair);
                name = pair.Conv.Input[0];
                if (!(producer.TryGetValue(name, out var relu) && relu.OpType == "Relu" && PairEndingAt(relu.Input[0]) is not null
                      && chain.Count < 3)) break;
                name = relu.Input[0];
            }
            return chain;
        }
    }

    static string Ints(NodeProto node, string attribute) =>
        string.Join(", ", node.Attribute.FirstOrDefault(a => a.Name == attribute)?.Ints ?? (IEnumerable<long>)Array.Empty<long>());

    static Tensor ToTensor(TensorProto proto, string path)
    {
        if (proto.DataType != (int)TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"{path}: initializer {proto.Name} is of ONNX type {proto.DataType}; float32 expected");
        var shape = proto.Dims.ToArray();
        float[] values = proto.RawData.Length > 0
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(proto.RawData.Span).ToArray()
            : proto.FloatData.ToArray();
        if (values.LongLength != shape.Aggregate(1L, (a, b) => a * b))
            throw new InvalidDataException($"{path}: initializer {proto.Name} holds {values.Length} values for shape {string.Join("x", shape)}");
        return tensor(values, shape);
    }
}
