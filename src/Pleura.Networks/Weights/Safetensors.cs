using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pleura.Files;
using static TorchSharp.torch;

namespace Pleura.Networks.Weights;

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, a JSON header of dtype, shape and
/// byte offsets per tensor, then the raw little-endian data). Supports F32, F64, F16, BF16, I64, I32, U8 and BOOL.
/// Nothing in the file is executed: it is data only.
/// </summary>
public static class Safetensors
{
    static readonly Dictionary<string, ScalarType> Types = new()
    {
        ["F32"] = ScalarType.Float32, ["F64"] = ScalarType.Float64, ["F16"] = ScalarType.Float16, ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64, ["I32"] = ScalarType.Int32, ["U8"] = ScalarType.Byte, ["BOOL"] = ScalarType.Bool,
    };

    public static string DtypeName(ScalarType type) =>
        Types.FirstOrDefault(kv => kv.Value == type).Key ?? throw new NotSupportedException($"safetensors cannot store {type}");

    /// <summary>Tensors in file order, plus the free-text metadata.</summary>
    public sealed record Contents(List<KeyValuePair<string, Tensor>> Tensors, IReadOnlyDictionary<string, string> Metadata);

    /// <summary>Reads every tensor (in the stored dtype) and the metadata.</summary>
    public static Contents Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: weights file not found", path);
        using var stream = File.OpenRead(path);
        if (stream.Length < 8) throw new InvalidDataException($"{path}: too short to be a safetensors file");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BitConverter.ToUInt64(lengthBytes);
        if (headerLength == 0 || headerLength > 100_000_000)
            throw new InvalidDataException($"{path}: not a safetensors file (its first 8 bytes give a header of {headerLength} bytes)");
        if (headerLength > (ulong)(stream.Length - 8))
            throw new InvalidDataException($"{path}: truncated: its header should be {headerLength} bytes, but the file has {stream.Length} bytes in all");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try
        {
            // Names are decoded lazily, so invalid UTF-8 would otherwise surface mid-read as a transcoding error.
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(headerBytes);
            header = JsonNode.Parse(headerBytes) as JsonObject ?? throw new InvalidDataException($"{path}: safetensors header is not a JSON object");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: safetensors header is not valid JSON ({e.Message})", e); }
        catch (DecoderFallbackException e) { throw new InvalidDataException($"{path}: safetensors header is not UTF-8 text ({e.Message})", e); }

        long dataStart = 8 + (long)headerLength;
        var metadata = new Dictionary<string, string>();
        var entries = new List<(string Key, ScalarType Type, long[] Shape, long Begin, long End)>();
        foreach (var (key, node) in header)
        {
            if (key == "__metadata__")
            {
                if (node is JsonObject meta) foreach (var (k, v) in meta) metadata[k] = v?.ToString() ?? "";
                continue;
            }
            var (type, shape, offsets) = Entry(path, key, node);
            long expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(type);
            if (offsets.Length != 2 || offsets[0] < 0 || shape.Any(s => s < 0) || offsets[1] - offsets[0] != expected)
                throw new InvalidDataException($"{path}: tensor '{key}' has inconsistent offsets {string.Join(",", offsets)} for {DtypeName(type)}[{string.Join(",", shape)}]");
            if (dataStart + offsets[1] > stream.Length)
                throw new InvalidDataException($"{path}: truncated: tensor '{key}' ends at byte {dataStart + offsets[1]}, but the file has {stream.Length} bytes");
            entries.Add((key, type, shape, offsets[0], offsets[1]));
        }

        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var e in entries.OrderBy(e => e.Begin))
        {
            var bytes = new byte[e.End - e.Begin];
            stream.Position = dataStart + e.Begin;
            stream.ReadExactly(bytes);
            var t = empty(e.Shape, e.Type);
            t.bytes = bytes;
            tensors.Add(new(e.Key, t));
        }
        // Keep the header's order (the writer's order), not the storage order.
        var order = entries.Select((e, i) => (e.Key, i)).ToDictionary(x => x.Key, x => x.i);
        tensors.Sort((a, b) => order[a.Key].CompareTo(order[b.Key]));
        return new Contents(tensors, metadata);
    }

    /// <summary>One tensor's header entry, or a named error when it lacks a field or holds the wrong kind of value.</summary>
    static (ScalarType Type, long[] Shape, long[] Offsets) Entry(string path, string key, JsonNode? node)
    {
        try
        {
            if (node is not JsonObject o || o["dtype"] is not JsonValue dtypeNode || o["shape"] is not JsonArray shapeNode || o["data_offsets"] is not JsonArray offsetNode)
                throw new InvalidDataException($"{path}: tensor '{key}' needs dtype, shape and data_offsets in the header");
            var dtype = dtypeNode.GetValue<string>();
            if (!Types.TryGetValue(dtype, out var type)) throw new InvalidDataException($"{path}: tensor '{key}' has unsupported dtype {dtype}");
            long[] Numbers(JsonArray a) => a.Select(s => s is JsonValue v ? v.GetValue<long>() : throw new FormatException()).ToArray();
            return (type, Numbers(shapeNode), Numbers(offsetNode));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: tensor '{key}' has a malformed header entry (dtype must be text, shape and data_offsets whole numbers)", e);
        }
    }

    /// <summary>Writes tensors in the given order with optional metadata (strings only, per the format).</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        var blobs = new List<byte[]>();
        foreach (var (key, tensor) in list)
        {
            using var scope = NewDisposeScope();
            var cpu = tensor.detach().cpu();
            // flatten() copies in logical (row-major) order whatever the memory layout, e.g. channels-last kernels.
            var bytes = cpu.flatten().contiguous().bytes.ToArray();
            header[key] = new JsonObject
            {
                ["dtype"] = DtypeName(cpu.dtype),
                ["shape"] = new JsonArray(cpu.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - json.Length % 8) % 8; // data starts 8-byte aligned, padded with spaces as the reference writer does
        // A crash never leaves a half-written checkpoint under the real name.
        AtomicFile.Write(path, temp =>
        {
            using var stream = File.Create(temp);
            stream.Write(BitConverter.GetBytes((ulong)(json.Length + padding)));
            stream.Write(json);
            for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
            foreach (var blob in blobs) stream.Write(blob);
        });
    }

    static long ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 => 2,
        _ => 1,
    };
}
