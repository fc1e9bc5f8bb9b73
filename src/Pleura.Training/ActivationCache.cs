using System.Collections.Concurrent;
using System.Security.Cryptography;
using Pleura.Networks;
using static TorchSharp.torch;

namespace Pleura.Training;

/// <summary>
/// Outputs of a network's frozen prefix, one row per image, shared between training runs. A row is identified by the
/// prefix's weights (a fingerprint of every parameter and buffer before the cut), the cut, and the image's key (which
/// says which image, which ROI and side, and which augmentation): two runs whose frozen layers hold the same weights
/// reuse each other's rows, whatever their heads, balancing or labels. Rows live in memory, in the prefix's dtype.
/// </summary>
public sealed class ActivationCache : IDisposable
{
    readonly ConcurrentDictionary<string, Tensor> _rows = new();
    long _bytes, _hits, _misses;

    public long Hits => Interlocked.Read(ref _hits);
    public long Misses => Interlocked.Read(ref _misses);
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Stops adding rows beyond this size (rows already held stay); the default is 8 GiB.</summary>
    public long MaxBytes { get; init; } = 8L << 30;

    /// <summary>A folder shared with other processes: rows not in memory are looked up there before they are computed, and computed rows are written there.</summary>
    public ActivationDiskCache? Disk { get; init; }

    /// <summary>
    /// The prefix outputs for <paramref name="images"/> (N x ...), computing only the rows not cached yet.
    /// <paramref name="compute"/> runs the prefix on a batch of images.
    /// </summary>
    public Tensor Get(string scope, IReadOnlyList<string> keys, Tensor images, Func<Tensor, Tensor> compute, int batchSize)
    {
        if (keys.Count != images.shape[0]) throw new ArgumentException($"{keys.Count} keys for {images.shape[0]} images");
        var missing = Enumerable.Range(0, keys.Count).Where(i => !_rows.ContainsKey(scope + "|" + keys[i])).ToList();
        var computed = new Dictionary<int, Tensor>();
        if (Disk is not null)
        {
            var stillMissing = new List<int>();
            foreach (var i in missing)
            {
                if (Disk.TryRead(scope, keys[i]) is not { } row) { stillMissing.Add(i); continue; }
                if (Bytes + row.NumberOfElements * row.ElementSize <= MaxBytes && _rows.TryAdd(scope + "|" + keys[i], row))
                    Interlocked.Add(ref _bytes, row.NumberOfElements * row.ElementSize);
                else computed[i] = row;
            }
            missing = stillMissing;
        }
        Interlocked.Add(ref _hits, keys.Count - missing.Count);
        Interlocked.Add(ref _misses, missing.Count);
        for (int start = 0; start < missing.Count; start += batchSize)
        {
            using var batchScope = NewDisposeScope();
            var rows = missing.Skip(start).Take(batchSize).ToList();
            var output = compute(images.index_select(0, tensor(rows.Select(r => (long)r).ToArray())));
            for (int j = 0; j < rows.Count; j++)
            {
                var row = output[j].contiguous().clone().DetachFromDisposeScope();
                Disk?.Write(scope, keys[rows[j]], row);
                if (Bytes + row.NumberOfElements * row.ElementSize <= MaxBytes && _rows.TryAdd(scope + "|" + keys[rows[j]], row))
                    Interlocked.Add(ref _bytes, row.NumberOfElements * row.ElementSize);
                else computed[rows[j]] = row;
            }
        }
        using var gather = NewDisposeScope();
        var all = Enumerable.Range(0, keys.Count).Select(i => computed.TryGetValue(i, out var t) ? t : _rows[scope + "|" + keys[i]]).ToList();
        var result = stack(all).MoveToOuterDisposeScope();
        foreach (var t in computed.Values) t.Dispose();
        return result;
    }

    /// <summary>A fingerprint of the parameters and buffers owned by the first <paramref name="cut"/> stages.</summary>
    public static string PrefixFingerprint(nn.Module model, IReadOnlyList<NetworkStage> stages, int cut)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var owned = stages.Take(cut).ToList();
        foreach (var (name, t) in StateDicts.Ordered(model))
        {
            if (!owned.Any(s => s.Owns(name))) continue;
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            using var cpu = t.detach().cpu().contiguous();
            hash.AppendData(cpu.bytes);
        }
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(string.Join(",", owned.Select(s => s.Name))));
        return Convert.ToHexString(hash.GetHashAndReset())[..20];
    }

    public void Dispose()
    {
        foreach (var row in _rows.Values) row.Dispose();
        _rows.Clear();
        _bytes = 0;
    }
}
