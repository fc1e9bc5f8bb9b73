using static TorchSharp.torch;

namespace Pleura.Networks.Weights;

/// <summary>What loading a state dict into a model found: keys by name, so a user can see exactly what differs.</summary>
public sealed record LoadReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> MisShaped,
    IReadOnlyList<string> SkippedHead)
{
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && MisShaped.Count == 0 && SkippedHead.Count == 0;

    public override string ToString()
    {
        var parts = new List<string> { $"{Loaded.Count} tensors loaded" };
        if (Missing.Count > 0) parts.Add($"missing: {string.Join(", ", Missing)}");
        if (Unexpected.Count > 0) parts.Add($"unexpected: {string.Join(", ", Unexpected)}");
        if (MisShaped.Count > 0) parts.Add($"mis-shaped: {string.Join(", ", MisShaped)}");
        if (SkippedHead.Count > 0) parts.Add($"classifier head left as initialised: {string.Join(", ", SkippedHead)}");
        return string.Join("; ", parts);
    }
}

/// <summary>
/// Copies a state dict into a model, converting dtypes (F16/BF16 to the model's float32). Any missing, unexpected or
/// mis-shaped key is refused with its name, unless it belongs to the classifier head and the caller asked to skip the
/// head (transfer learning to a new number of classes).
/// </summary>
public static class WeightLoader
{
    public static LoadReport Load(nn.Module model, IEnumerable<KeyValuePair<string, Tensor>> source, string? skipHeadPrefix = null, string origin = "weights")
    {
        var target = StateDicts.Ordered(model).ToDictionary(kv => kv.Key, kv => kv.Value);
        var given = source.ToDictionary(kv => kv.Key, kv => kv.Value);
        bool InHead(string key) => skipHeadPrefix is not null && key.StartsWith(skipHeadPrefix, StringComparison.Ordinal);

        var missing = target.Keys.Where(k => !given.ContainsKey(k)).ToList();
        var unexpected = given.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var misShaped = given.Where(kv => target.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key} ({string.Join("x", kv.Value.shape)} in {origin}, {string.Join("x", target[kv.Key].shape)} in the model)").ToList();
        var misShapedKeys = given.Keys.Where(k => target.TryGetValue(k, out var t) && !t.shape.SequenceEqual(given[k].shape)).ToHashSet();

        var skipped = new List<string>();
        if (skipHeadPrefix is not null)
        {
            skipped.AddRange(missing.Where(InHead));
            skipped.AddRange(misShapedKeys.Where(InHead));
            skipped.AddRange(unexpected.Where(InHead));
            missing.RemoveAll(InHead);
            unexpected.RemoveAll(InHead);
            misShaped.RemoveAll(m => InHead(m.Split(' ')[0]));
        }
        if (missing.Count > 0 || unexpected.Count > 0 || misShaped.Count > 0)
        {
            var report = new LoadReport(Array.Empty<string>(), missing, unexpected, misShaped, skipped);
            throw new InvalidDataException($"{origin} do not fit the model: {report}" +
                                           (skipHeadPrefix is null ? " (to replace the classifier head, load with the head skipped)" : ""));
        }

        var loaded = new List<string>();
        using (no_grad())
        {
            foreach (var (key, value) in given)
            {
                if (skipped.Contains(key) || !target.TryGetValue(key, out var t)) continue;
                t.copy_(value.to_type(t.dtype));
                loaded.Add(key);
            }
        }
        return new LoadReport(loaded, Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>(), skipped.Distinct().ToList());
    }
}
