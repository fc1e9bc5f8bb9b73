using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pleura.Networks.Export;

/// <summary>
/// The layers every backbone family shares, as ONNX nodes with torch's eval-mode semantics: convolution, batch-norm with
/// its running statistics, ReLU, pooling, dropout (identity), linear layers. A module, setting or child this file does
/// not know is refused by name, so a network it cannot express exactly is never written.
/// </summary>
public static class OnnxLayers
{
    /// <summary>The refusal every emitter raises: names the piece and why.</summary>
    public static InvalidDataException Unsupported(string path, string why) =>
        new($"cannot export to ONNX: {(path.Length == 0 ? "the network" : path)} {why}; nothing written");

    static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    /// <summary>Refuses a module holding a child the emitter would silently skip.</summary>
    public static void ExpectChildren(nn.Module module, string path, params string[] known)
    {
        foreach (var (name, child) in module.named_children())
            if (!known.Contains(name))
                throw Unsupported(Join(path, name), $"({child.GetType().Name}) is a piece the {module.GetType().Name} exporter does not know");
    }

    public static T Child<T>(nn.Module parent, string path, string name) where T : nn.Module =>
        TryChild<T>(parent, path, name) ?? throw Unsupported(Join(path, name), $"is missing from {parent.GetType().Name}");

    public static T? TryChild<T>(nn.Module parent, string path, string name) where T : nn.Module
    {
        foreach (var (childName, child) in parent.named_children())
            if (childName == name)
                return child as T ?? throw Unsupported(Join(path, name), $"is a {child.GetType().Name}, where the exporter expects a {typeof(T).Name}");
        return null;
    }

    /// <summary>
    /// Emits each child of a sequence in order. <paramref name="family"/> emits the family's own blocks (residual,
    /// dense) and returns null for anything else, which is then one of the shared layers or refused.
    /// </summary>
    public static OnnxValue Sequence(OnnxGraph g, string path, Sequential sequence, OnnxValue x, Func<OnnxGraph, string, nn.Module, OnnxValue, OnnxValue?>? family = null)
    {
        foreach (var (name, child) in sequence.named_children())
        {
            var childPath = Join(path, name);
            x = family?.Invoke(g, childPath, child, x) ?? Layer(g, childPath, child, x, family);
        }
        return x;
    }

    public static OnnxValue Layer(OnnxGraph g, string path, nn.Module module, OnnxValue x, Func<OnnxGraph, string, nn.Module, OnnxValue, OnnxValue?>? family = null) => module switch
    {
        Conv2d conv => Conv(g, path, conv, x),
        BatchNorm2d norm => BatchNorm(g, path, norm, x),
        ReLU => Relu(g, path, x),
        MaxPool2d pool => MaxPool(g, path, pool, x),
        AvgPool2d pool => AvgPool(g, path, pool, x),
        AdaptiveAvgPool2d pool => AdaptiveAvgPool(g, path, pool, x),
        // Eval mode: dropout passes its input through unchanged.
        Dropout => x,
        Linear linear => Linear(g, path, linear, x),
        Sequential sequence => Sequence(g, path, sequence, x, family),
        _ => throw Unsupported(path, $"is a {module.GetType().Name}, which has no ONNX equivalent in Pleura's exporter"),
    };

    static long[] Pair(long[]? values, long fallback, string path, string what) => values switch
    {
        null or { Length: 0 } => new[] { fallback, fallback },
        { Length: 1 } => new[] { values[0], values[0] },
        { Length: 2 } => values,
        _ => throw Unsupported(path, $"has a {values.Length}-dimensional {what}"),
    };

    static long OutputSize(long input, long kernel, long stride, long pad, long dilation, bool ceil)
    {
        double exact = (double)(input + 2 * pad - dilation * (kernel - 1) - 1) / stride;
        long size = (long)(ceil ? Math.Ceiling(exact) : Math.Floor(exact)) + 1;
        // torch: with ceil_mode the last window must start inside the input or its left padding.
        if (ceil && (size - 1) * stride >= input + pad) size--;
        return size;
    }

    static void CheckSpatial(string path, OnnxValue x)
    {
        if (x.Shape.Count != 3) throw Unsupported(path, "receives a flat vector where it expects feature maps");
    }

    public static OnnxValue Conv(OnnxGraph g, string path, Conv2d conv, OnnxValue x)
    {
        CheckSpatial(path, x);
        if (conv.transposed) throw Unsupported(path, "is a transposed convolution");
        if (conv.padding_mode != PaddingModes.Zeros) throw Unsupported(path, $"pads with {conv.padding_mode}, not zeros");
        if (conv.padding is null) throw Unsupported(path, "pads by a mode ('same'/'valid') rather than by a size");
        var (kernel, stride, pad, dilation) = (Pair(conv.kernel_size, 1, path, "kernel"), Pair(conv.stride, 1, path, "stride"),
            Pair(conv.padding, 0, path, "padding"), Pair(conv.dilation, 1, path, "dilation"));
        if (x.Channels != conv.in_channels) throw Unsupported(path, $"takes {conv.in_channels} channels but receives {x.Channels}");
        var inputs = new List<string> { x.Name, g.Weight(path + ".weight", conv.weight!) };
        if (conv.bias is not null) inputs.Add(g.Weight(path + ".bias", conv.bias));
        var output = g.Node("Conv", path, inputs,
            OnnxGraph.Ints("kernel_shape", kernel), OnnxGraph.Ints("strides", stride), OnnxGraph.Ints("pads", new[] { pad[0], pad[1], pad[0], pad[1] }),
            OnnxGraph.Ints("dilations", dilation), OnnxGraph.Int("group", conv.groups));
        return new(output, new[] { conv.out_channels, OutputSize(x.Height, kernel[0], stride[0], pad[0], dilation[0], false), OutputSize(x.Width, kernel[1], stride[1], pad[1], dilation[1], false) });
    }

    /// <summary>Eval-mode batch-norm: the running mean and variance, never the batch's own statistics.</summary>
    public static OnnxValue BatchNorm(OnnxGraph g, string path, BatchNorm2d norm, OnnxValue x)
    {
        CheckSpatial(path, x);
        if (norm.running_mean is null || norm.running_var is null)
            throw Unsupported(path, "keeps no running statistics (it normalises by each batch's own, which a deployed model cannot)");
        long n = norm.num_features;
        if (x.Channels != n) throw Unsupported(path, $"normalises {n} channels but receives {x.Channels}");
        var scale = norm.weight is null ? g.Initializer(path + ".weight", Enumerable.Repeat(1f, (int)n).ToArray(), new[] { n }) : g.Weight(path + ".weight", norm.weight);
        var shift = norm.bias is null ? g.Initializer(path + ".bias", new float[n], new[] { n }) : g.Weight(path + ".bias", norm.bias);
        var output = g.Node("BatchNormalization", path,
            new[] { x.Name, scale, shift, g.Weight(path + ".running_mean", norm.running_mean), g.Weight(path + ".running_var", norm.running_var) },
            OnnxGraph.Float("epsilon", (float)norm.eps));
        return x with { Name = output };
    }

    public static OnnxValue Relu(OnnxGraph g, string path, OnnxValue x) => x with { Name = g.Node("Relu", path + ".relu", new[] { x.Name }) };

    public static OnnxValue Add(OnnxGraph g, string path, OnnxValue a, OnnxValue b)
    {
        if (!a.Shape.SequenceEqual(b.Shape)) throw Unsupported(path, $"adds tensors of shapes {string.Join("x", a.Shape)} and {string.Join("x", b.Shape)}");
        return a with { Name = g.Node("Add", path + ".add", new[] { a.Name, b.Name }) };
    }

    /// <summary>Channel concatenation (dense blocks); one tensor is passed through.</summary>
    public static OnnxValue Concat(OnnxGraph g, string path, IReadOnlyList<OnnxValue> values)
    {
        if (values.Count == 1) return values[0];
        if (values.Any(v => v.Height != values[0].Height || v.Width != values[0].Width)) throw Unsupported(path, "concatenates maps of different sizes");
        var output = g.Node("Concat", path + ".concat", values.Select(v => v.Name), OnnxGraph.Int("axis", 1));
        return new(output, new[] { values.Sum(v => v.Channels), values[0].Height, values[0].Width });
    }

    public static OnnxValue MaxPool(OnnxGraph g, string path, MaxPool2d pool, OnnxValue x)
    {
        CheckSpatial(path, x);
        var kernel = Pair(pool.kernel_size, 1, path, "kernel");
        var (stride, pad, dilation) = (Pair(pool.stride, 0, path, "stride"), Pair(pool.padding, 0, path, "padding"), Pair(pool.dilation, 1, path, "dilation"));
        if (stride[0] == 0) stride = kernel; // torch: the stride defaults to the kernel
        // ONNX MaxPool ignores padded cells, as torch does (padding acts as minus infinity).
        var output = g.Node("MaxPool", path, new[] { x.Name },
            OnnxGraph.Ints("kernel_shape", kernel), OnnxGraph.Ints("strides", stride), OnnxGraph.Ints("pads", new[] { pad[0], pad[1], pad[0], pad[1] }),
            OnnxGraph.Ints("dilations", dilation), OnnxGraph.Int("ceil_mode", pool.ceil_mode ? 1 : 0));
        return new(output, new[] { x.Channels, OutputSize(x.Height, kernel[0], stride[0], pad[0], dilation[0], pool.ceil_mode), OutputSize(x.Width, kernel[1], stride[1], pad[1], dilation[1], pool.ceil_mode) });
    }

    public static OnnxValue AvgPool(OnnxGraph g, string path, AvgPool2d pool, OnnxValue x)
    {
        CheckSpatial(path, x);
        if (pool.divisor_override is not null) throw Unsupported(path, "divides by an override, which ONNX's AveragePool cannot");
        var kernel = Pair(pool.kernel_size, 1, path, "kernel");
        var (stride, pad) = (Pair(pool.stride, 0, path, "stride"), Pair(pool.padding, 0, path, "padding"));
        if (stride[0] == 0) stride = kernel;
        var output = g.Node("AveragePool", path, new[] { x.Name },
            OnnxGraph.Ints("kernel_shape", kernel), OnnxGraph.Ints("strides", stride), OnnxGraph.Ints("pads", new[] { pad[0], pad[1], pad[0], pad[1] }),
            OnnxGraph.Int("count_include_pad", pool.count_include_pad ? 1 : 0), OnnxGraph.Int("ceil_mode", pool.ceil_mode ? 1 : 0));
        return new(output, new[] { x.Channels, OutputSize(x.Height, kernel[0], stride[0], pad[0], 1, pool.ceil_mode), OutputSize(x.Width, kernel[1], stride[1], pad[1], 1, pool.ceil_mode) });
    }

    /// <summary>
    /// torch's adaptive average pooling for the size this graph sees (its input size is fixed): a global average, an
    /// ordinary average pool where the bins tile the map evenly, and otherwise (VGG's 7x7 bins over a smaller map) a
    /// product with a constant matrix whose columns average each of torch's bins, rows floor(i h / o) to ceil((i + 1) h / o).
    /// </summary>
    public static OnnxValue AdaptiveAvgPool(OnnxGraph g, string path, AdaptiveAvgPool2d pool, OnnxValue x)
    {
        CheckSpatial(path, x);
        var size = Pair(pool.output_size, 1, path, "output size");
        var (outH, outW) = (size[0], size[1]);
        if (outH == 1 && outW == 1)
            return new(g.Node("GlobalAveragePool", path, new[] { x.Name }), new[] { x.Channels, 1L, 1L });
        if (x.Height % outH == 0 && x.Width % outW == 0)
        {
            var kernel = new[] { x.Height / outH, x.Width / outW };
            var pooled = g.Node("AveragePool", path, new[] { x.Name }, OnnxGraph.Ints("kernel_shape", kernel), OnnxGraph.Ints("strides", kernel));
            return new(pooled, new[] { x.Channels, outH, outW });
        }
        static (long Start, long End) Bin(long i, long input, long output) => (i * input / output, ((i + 1) * input + output - 1) / output);
        long cells = x.Height * x.Width, bins = outH * outW;
        var matrix = new float[cells * bins];
        for (long i = 0; i < outH; i++)
            for (long j = 0; j < outW; j++)
            {
                var (rows, columns) = (Bin(i, x.Height, outH), Bin(j, x.Width, outW));
                float weight = 1f / ((rows.End - rows.Start) * (columns.End - columns.Start));
                for (long r = rows.Start; r < rows.End; r++)
                    for (long c = columns.Start; c < columns.End; c++)
                        matrix[(r * x.Width + c) * bins + i * outW + j] = weight;
            }
        var flat = g.Node("Reshape", path + ".cells", new[] { x.Name, g.Int64s(path + ".cells_shape", 0, x.Channels, cells) });
        var averaged = g.Node("MatMul", path + ".bins", new[] { flat, g.Initializer(path + ".bin_weights", matrix, new[] { cells, bins }) });
        var output = g.Node("Reshape", path, new[] { averaged, g.Int64s(path + ".shape", 0, x.Channels, outH, outW) });
        return new(output, new[] { x.Channels, outH, outW });
    }

    /// <summary>torch's <c>flatten(1)</c>: channels, then rows, then columns.</summary>
    public static OnnxValue Flatten(OnnxGraph g, string path, OnnxValue x) =>
        new(g.Node("Flatten", path + ".flatten", new[] { x.Name }, OnnxGraph.Int("axis", 1)), new[] { x.Shape.Aggregate(1L, (a, b) => a * b) });

    public static OnnxValue Linear(OnnxGraph g, string path, Linear linear, OnnxValue x)
    {
        if (x.Shape.Count != 1) throw Unsupported(path, "receives feature maps where it expects a flat vector");
        if (x.Shape[0] != linear.in_features) throw Unsupported(path, $"takes {linear.in_features} features but receives {x.Shape[0]}");
        var inputs = new List<string> { x.Name, g.Weight(path + ".weight", linear.weight!) };
        if (linear.bias is not null) inputs.Add(g.Weight(path + ".bias", linear.bias));
        return new(g.Node("Gemm", path, inputs, OnnxGraph.Int("transB", 1)), new[] { linear.out_features });
    }
}
