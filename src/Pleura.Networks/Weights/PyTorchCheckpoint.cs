using System.IO.Compression;
using System.Numerics;
using static TorchSharp.torch;

namespace Pleura.Networks.Weights;

/// <summary>What a PyTorch checkpoint file holds: its state dict (tensors in file order) and what was left unread.</summary>
public sealed record PyTorchFile(string Path, string Container, List<KeyValuePair<string, Tensor>> StateDict, string StateDictLocation,
    IReadOnlyList<string> TopLevelKeys, IReadOnlyList<string> UnsupportedGlobals);

/// <summary>
/// Reads PyTorch checkpoints without Python: the zip container of torch.save since 1.6 (<c>.pth</c>, <c>.pt</c>) and the
/// legacy container before it (e.g. CheXNet's <c>model.pth.tar</c>), each a pickle whose tensors point at raw storages.
/// Only plain containers, OrderedDict and the tensor-rebuild calls are built; any other global is named and refused if
/// the state dict needs it (nothing in the file is ever executed).
/// </summary>
public static class PyTorchCheckpoint
{
    static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");
    static readonly string[] StateDictKeys = { "state_dict", "model_state_dict", "model", "net", "weights", "params" };

    static readonly Dictionary<string, (ScalarType Type, int Size)> StorageTypes = new()
    {
        ["FloatStorage"] = (ScalarType.Float32, 4), ["DoubleStorage"] = (ScalarType.Float64, 8), ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2), ["LongStorage"] = (ScalarType.Int64, 8), ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2), ["CharStorage"] = (ScalarType.Int8, 1), ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    sealed record StorageRef(string Key, ScalarType Type, int ElementSize, long ViewOffset);

    sealed record PendingTensor(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    public static bool LooksLikePyTorch(string path)
    {
        var ext = System.IO.Path.GetFileName(path).ToLowerInvariant();
        return ext.EndsWith(".pth") || ext.EndsWith(".pt") || ext.EndsWith(".pth.tar") || ext.EndsWith(".tar") || ext.EndsWith(".ckpt") || ext.EndsWith(".bin");
    }

    public static PyTorchFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found", path);
        var unsupported = new List<string>();
        using var file = File.OpenRead(path);
        var head = new byte[4];
        int read = file.Read(head, 0, 4);
        file.Position = 0;
        try
        {
            bool zip = read == 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4;
            return zip ? ReadZip(path, file, unsupported) : ReadLegacy(path, file, unsupported);
        }
        catch (EndOfStreamException e) { throw new InvalidDataException($"{path}: truncated PyTorch checkpoint", e); }
        // The unpickler and the checks below refuse every damage they meet with a reason (InvalidDataException); other
        // exceptions are not renamed here, so that a crash of the reader shows as one. The zip reader's and the
        // unpickler's own errors do not know the file: name it.
        catch (InvalidDataException e) when (!e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: damaged PyTorch checkpoint ({e.Message})", e);
        }
    }

    /// <summary>
    /// The zip container, read by System.IO.Compression, which reports a damaged archive as InvalidDataException and
    /// some damage (a central directory or entry header pointing outside the file, an unknown compression method) as
    /// IOException, NotSupportedException or ArgumentException: each of those is its check of the archive, named as such.
    /// </summary>
    static PyTorchFile ReadZip(string path, Stream file, List<string> unsupported)
    {
        try { return ReadZipArchive(path, file, unsupported); }
        catch (Exception e) when (e is IOException and not EndOfStreamException or NotSupportedException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: damaged zip container ({e.Message})", e);
        }
    }

    static PyTorchFile ReadZipArchive(string path, Stream file, List<string> unsupported)
    {
        using var archive = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        var pickle = archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal))
            ?? throw new InvalidDataException($"{path}: zip archive without data.pkl: not a torch.save file");
        string prefix = pickle.FullName[..^"data.pkl".Length];
        var storages = new Dictionary<string, byte[]>();
        byte[] Storage(string key)
        {
            if (storages.TryGetValue(key, out var bytes)) return bytes;
            var entry = archive.GetEntry(prefix + "data/" + key) ?? throw new InvalidDataException($"{path}: storage {key} missing from the archive");
            using var s = entry.Open();
            using var copy = new MemoryStream();
            s.CopyTo(copy);
            return storages[key] = copy.ToArray();
        }
        object? root;
        using (var s = pickle.Open())
        using (var buffered = new MemoryStream())
        {
            s.CopyTo(buffered);
            buffered.Position = 0;
            using var unpickler = new RestrictedUnpickler(buffered, (m, n, a) => Build(m, n, a, unsupported), PersistentLoad);
            root = unpickler.Load();
        }
        return Extract(path, "zip (torch.save >= 1.6)", root, unsupported, Storage);
    }

    static PyTorchFile ReadLegacy(string path, Stream file, List<string> unsupported)
    {
        object? Next()
        {
            using var unpickler = new RestrictedUnpickler(file, (m, n, a) => Build(m, n, a, unsupported), PersistentLoad);
            return unpickler.Load();
        }
        object? magic;
        try { magic = Next(); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException) { throw new InvalidDataException($"{path}: neither a zip nor a legacy PyTorch checkpoint", e); }
        if (!(magic is BigInteger b && b == LegacyMagic))
            throw new InvalidDataException($"{path}: not a PyTorch checkpoint (no zip header, no legacy magic number)");
        var protocol = Next();
        if (protocol is not (long)1001) throw new InvalidDataException($"{path}: legacy protocol {protocol} is not supported (expected 1001)");
        if (Next() is Dictionary<object, object?> info && info.TryGetValue("little_endian", out var little) && little is false)
            throw new InvalidDataException($"{path}: big-endian checkpoints are not supported");
        var root = Next();
        var keys = Next() is List<object?> list && list.All(k => k is string) ? list.Cast<string>().ToList()
            : throw new InvalidDataException($"{path}: storage list missing (no list of storage keys after the state dict)");
        var storages = new Dictionary<string, byte[]>();
        // Tensors that share a storage name it once each.
        var sizes = new Dictionary<string, int>();
        foreach (var s in CollectStorages(root))
            if (sizes.TryGetValue(s.Key, out var other) && other != s.ElementSize)
                throw new InvalidDataException($"{path}: storage {s.Key} is used with elements of {other} and {s.ElementSize} bytes");
            else sizes[s.Key] = s.ElementSize;
        var reader = new BinaryReader(file);
        foreach (var key in keys)
        {
            long numel = reader.ReadInt64();
            int elementSize = sizes.TryGetValue(key, out var size) ? size : throw new InvalidDataException($"{path}: storage {key} has no known type");
            if (numel < 0 || numel > (file.Length - file.Position) / elementSize)
                throw new InvalidDataException($"{path}: storage {key} claims {numel} elements, more than the file holds");
            storages[key] = reader.ReadBytes((int)(numel * elementSize));
        }
        return Extract(path, "legacy (torch.save < 1.6)", root, unsupported,
            k => storages.TryGetValue(k, out var bytes) ? bytes : throw new InvalidDataException($"{path}: a tensor uses storage {k}, which the file does not hold"));
    }

    static object? PersistentLoad(object? id)
    {
        if (id is not object?[] { Length: >= 5 } t || t[0] as string != "storage" || t[2] is null)
            throw new InvalidDataException("unsupported persistent id in pickle (expected a storage reference)");
        var typeName = (t[1] as UnsupportedGlobal)?.Name ?? t[1]?.ToString() ?? "";
        if (!StorageTypes.TryGetValue(typeName, out var type)) throw new InvalidDataException($"unsupported storage type {typeName}");
        long viewOffset = 0;
        if (t.Length >= 6 && t[5] is object?[] view && view.Length >= 2 && view[1] is long o) viewOffset = o; // legacy storage views
        return new StorageRef(t[2]!.ToString() ?? "", type.Type, type.Size, viewOffset);
    }

    static object? Build(string module, string name, object?[] args, List<string> unsupported)
    {
        switch ((module, name))
        {
            case ("collections", "OrderedDict"):
                return new Dictionary<object, object?>();
            case ("torch._utils", "_rebuild_tensor_v2"):
            case ("torch._utils", "_rebuild_tensor"):
                if (args is not [StorageRef storage, long offset, var size, var stride, ..])
                    throw new InvalidDataException($"{module}.{name} is called with ({Kinds(args)}), not (storage, offset, size, stride)");
                return new PendingTensor(storage, offset, Longs(size, "size"), Longs(stride, "stride"));
            case ("torch._utils", "_rebuild_parameter"):
            case ("torch._utils", "_rebuild_parameter_with_state"):
                return args.Length > 0 ? args[0] : throw new InvalidDataException($"{module}.{name} is called without a tensor");
            default:
                var global = new UnsupportedGlobal(module, name);
                if (!unsupported.Contains(global.ToString())) unsupported.Add(global.ToString());
                return new UnsupportedObject(global);
        }
    }

    static long[] Longs(object? tuple, string what) => tuple is object?[] items && items.All(x => x is long)
        ? items.Select(x => (long)x!).ToArray()
        : throw new InvalidDataException($"a tensor's {what} is not a tuple of whole numbers");

    static string Kinds(object?[] args) => string.Join(", ", args.Select(a => a?.GetType().Name ?? "null"));

    /// <summary>Every storage the tensors under <paramref name="root"/> use; a container met twice (a pickle may make one hold itself) is walked once.</summary>
    static List<StorageRef> CollectStorages(object? root)
    {
        var found = new List<StorageRef>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (node is PendingTensor p) found.Add(p.Storage);
            else if (node is System.Collections.IEnumerable items and not string and not byte[] && seen.Add(node))
                foreach (var item in node is Dictionary<object, object?> d ? d.Values : items) pending.Push(item);
        }
        return found;
    }

    static PyTorchFile Extract(string path, string container, object? root, List<string> unsupported, Func<string, byte[]> storage)
    {
        if (root is not Dictionary<object, object?> top) throw new InvalidDataException($"{path}: the checkpoint holds a {root?.GetType().Name ?? "null"}, not a state dict");
        var topKeys = top.Keys.Select(k => k.ToString()!).ToList();
        Dictionary<object, object?> dict = top;
        string location = "(top level)";
        if (!IsStateDict(top))
        {
            var key = StateDictKeys.FirstOrDefault(k => top.TryGetValue(k, out var v) && v is Dictionary<object, object?> d && IsStateDict(d));
            if (key is null)
            {
                var refused = top.Values.OfType<UnsupportedObject>().Select(o => o.Global.ToString()).Distinct().ToList();
                throw new InvalidDataException($"{path}: no state dict found (top-level keys: {string.Join(", ", topKeys)})" +
                                               (refused.Count > 0 ? $"; refused to build: {string.Join(", ", refused)}" : ""));
            }
            dict = (Dictionary<object, object?>)top[key]!;
            location = $"['{key}']";
        }
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (k, v) in dict)
        {
            if (v is UnsupportedObject u) throw new InvalidDataException($"{path}: state dict entry '{k}' needs {u.Global}, which Pleura does not execute");
            if (v is PendingTensor p) tensors.Add(new(k.ToString()!, Materialise(p, storage)));
        }
        return new PyTorchFile(path, container, tensors, location, topKeys, unsupported);
    }

    static bool IsStateDict(Dictionary<object, object?> d) => d.Count > 0 && d.Values.Any(v => v is PendingTensor) && d.Values.All(v => v is PendingTensor or UnsupportedObject);

    static Tensor Materialise(PendingTensor p, Func<string, byte[]> storage)
    {
        var bytes = storage(p.Storage.Key);
        if (bytes.Length % p.Storage.ElementSize != 0)
            throw new InvalidDataException($"storage {p.Storage.Key} holds {bytes.Length} bytes, not a whole number of {p.Storage.ElementSize}-byte elements");
        long numel = bytes.Length / p.Storage.ElementSize;
        if (p.Size.Length != p.Stride.Length) throw new InvalidDataException($"a tensor has {p.Size.Length} sizes and {p.Stride.Length} strides");
        if (p.Size.Any(s => s < 0) || p.Stride.Any(s => s < 0))
            throw new InvalidDataException($"a tensor has a negative size or stride ({string.Join("x", p.Size)}, strides {string.Join(", ", p.Stride)})");
        if (p.Size.Any(s => s == 0)) return empty(p.Size, p.Storage.Type);
        // In 128 bits, so that damaged sizes cannot overflow past the checks.
        Int128 offset = (Int128)p.Storage.ViewOffset + p.Offset, span = 1, elements = 1;
        for (int d = 0; d < p.Size.Length; d++)
        {
            span += (Int128)(p.Size[d] - 1) * p.Stride[d];
            elements *= p.Size[d];
            if (elements > numel) throw new InvalidDataException($"a tensor of size {string.Join("x", p.Size)} has more elements than its storage ({numel})");
        }
        if (offset < 0 || offset + span > numel) throw new InvalidDataException($"a tensor reaches past its storage ({offset + span} > {numel} elements)");
        using var flat = empty(new[] { numel }, p.Storage.Type);
        flat.bytes = bytes;
        using var view = flat.as_strided(p.Size, p.Stride, (long)offset);
        return view.contiguous().clone();
    }
}
