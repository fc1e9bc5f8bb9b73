using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace Pleura.Networks.Export;

/// <summary>A tensor flowing through the graph being built, with its shape after the (dynamic) batch dimension.</summary>
public sealed record OnnxValue(string Name, IReadOnlyList<long> Shape)
{
    public long Channels => Shape[0];
    public long Height => Shape[1];
    public long Width => Shape[2];
}

/// <summary>
/// Builds an ONNX graph node by node: weights become float32 initializers under their state-dict names, every node and
/// intermediate gets a unique name, and each value carries its static shape (batch excepted) so that later layers
/// (adaptive pooling) can be emitted for the exact size the network sees.
/// </summary>
public sealed class OnnxGraph
{
    readonly GraphProto _graph = new();
    readonly HashSet<string> _names = new(StringComparer.Ordinal);
    int _counter;

    public GraphProto Proto => _graph;

    /// <summary>A prefix for every name made from now on: an ensemble's members each emit their layers under their own.</summary>
    public string Scope { get; set; } = "";

    string Unique(string name)
    {
        name = Scope + name;
        var candidate = name;
        while (!_names.Add(candidate)) candidate = $"{name}_{++_counter}";
        return candidate;
    }

    /// <summary>A weight tensor as a float32 initializer, in PyTorch's logical (contiguous NCHW) layout.</summary>
    public string Weight(string name, Tensor value)
    {
        using var scope = NewDisposeScope();
        var contiguous = value.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return Initializer(name, contiguous.data<float>().ToArray(), contiguous.shape);
    }

    public string Initializer(string name, float[] values, IEnumerable<long> dims)
    {
        var proto = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        proto.Dims.AddRange(dims);
        _graph.Initializer.Add(proto);
        return proto.Name;
    }

    public string Int64s(string name, params long[] values)
    {
        var proto = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        proto.Dims.Add(values.Length);
        _graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>Adds a node with one output named after <paramref name="name"/>; returns the output's name.</summary>
    public string Node(string opType, string name, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var output = Unique(name);
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    public void Input(string name, long elementType, params object[] dims) => _graph.Input.Add(ValueInfo(name, elementType, dims));

    public void Output(string name, long elementType, params object[] dims) => _graph.Output.Add(ValueInfo(name, elementType, dims));

    /// <summary>A tensor type; each dimension is a number or the name of a dynamic dimension.</summary>
    static ValueInfoProto ValueInfo(string name, long elementType, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } } };
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}
