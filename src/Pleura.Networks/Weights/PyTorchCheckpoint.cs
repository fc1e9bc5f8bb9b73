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
        catch (InvalidCastException e) { throw new InvalidDataException($"{path}: not a PyTorch checkpoint this reader understands ({e.Message})", e); }
        // A damaged pickle stream breaks the unpickler's parsing in many ways; each is the file's fault, named as such.
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: damaged PyTorch checkpoint ({e.Message})", e);
        }
        // The zip reader's and the unpickler's own errors do not know the file: name it.
        catch (InvalidDataException e) when (!e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: damaged PyTorch checkpoint ({e.Message})", e);
        }
    }

    static PyTorchFile ReadZip(string path, Stream file, List<string> unsupported)
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
        var keys = (Next() as List<object?>)?.Cast<string>().ToList() ?? throw new InvalidDataException($"{path}: storage list missing");
        var storages = new Dictionary<string, byte[]>();
        var sizes = CollectStorages(root).ToDictionary(s => s.Key, s => s.ElementSize);
        var reader = new BinaryReader(file);
        foreach (var key in keys)
        {
            long numel = reader.ReadInt64();
            int elementSize = sizes.TryGetValue(key, out var size) ? size : throw new InvalidDataException($"{path}: storage {key} has no known type");
            long bytes = numel * elementSize;
            if (numel < 0 || bytes > file.Length - file.Position)
                throw new InvalidDataException($"{path}: storage {key} claims {numel} elements, more than the file holds");
            storages[key] = reader.ReadBytes((int)bytes);
        }
        return Extract(path, "legacy (torch.save < 1.6)", root, unsupported, k => storages[k]);
    }

    static object? PersistentLoad(object? id)
    {
        if (id is not object?[] { Length: >= 5 } t || t[0] as string != "storage")
            throw new InvalidDataException("unsupported persistent id in pickle (expected a storage reference)");
        var typeName = (t[1] as UnsupportedGlobal)?.Name ?? t[1]?.ToString() ?? "";
        if (!StorageTypes.TryGetValue(typeName, out var type)) throw new InvalidDataException($"unsupported storage type {typeName}");
        long viewOffset = 0;
        if (t.Length >= 6 && t[5] is object?[] view && view.Length >= 2 && view[1] is long o) viewOffset = o; // legacy storage views
        return new StorageRef(t[2]!.ToString()!, type.Type, type.Size, viewOffset);
    }

    static object? Build(string module, string name, object?[] args, List<string> unsupported)
    {
        switch ((module, name))
        {
            case ("collections", "OrderedDict"):
                return new Dictionary<object, object?>();
            case ("torch._utils", "_rebuild_tensor_v2"):
            case ("torch._utils", "_rebuild_tensor"):
                return new PendingTensor((StorageRef)args[0]!, (long)args[1]!, Longs(args[2]), Longs(args[3]));
            case ("torch._utils", "_rebuild_parameter"):
            case ("torch._utils", "_rebuild_parameter_with_state"):
                return args[0];
            default:
                var global = new UnsupportedGlobal(module, name);
                if (!unsupported.Contains(global.ToString())) unsupported.Add(global.ToString());
                return new UnsupportedObject(global);
        }
    }

    static long[] Longs(object? tuple) => ((object?[])tuple!).Select(x => (long)x!).ToArray();

    static IEnumerable<StorageRef> CollectStorages(object? node) => node switch
    {
        PendingTensor p => new[] { p.Storage },
        Dictionary<object, object?> d => d.Values.SelectMany(CollectStorages),
        List<object?> l => l.SelectMany(CollectStorages),
        object?[] a => a.SelectMany(CollectStorages),
        _ => Array.Empty<StorageRef>(),
    };

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
        long numel = bytes.Length / p.Storage.ElementSize;
        using var flat = empty(new[] { numel }, p.Storage.Type);
        flat.bytes = bytes;
        long offset = p.Storage.ViewOffset + p.Offset;
        long span = p.Size.Length == 0 ? 1 : p.Size.Zip(p.Stride).Sum(x => x.First == 0 ? 0 : (x.First - 1) * x.Second) + 1;
        if (p.Size.Any(s => s == 0)) return empty(p.Size, p.Storage.Type);
        if (offset < 0 || offset + span > numel) throw new InvalidDataException($"a tensor reaches past its storage ({offset + span} > {numel} elements)");
        using var view = flat.as_strided(p.Size, p.Stride, offset);
        return view.contiguous().clone();
    }
}
