using Pleura.Data;
using Pleura.Imaging;
using Pleura.Imaging.Roi;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Datasets;

/// <summary>
/// One image's zone targets in <see cref="LungZones.Order"/> (BrixIA's A-F): per zone the share of readers who scored
/// it above 0 and the readers' mean score / 3; NaN where no reader scored the zone. Averaging the readers' targets is
/// the same as summing a cross-entropy per reader (up to a constant), so both readers count and neither is the truth.
/// </summary>
public sealed record ZoneTargets(double[] Any, double[] Mean)
{
    /// <summary>The row's targets from the BrixIA zone columns, or null when no zone has a score.</summary>
    public static ZoneTargets? Of(ManifestRow row)
    {
        var any = new double[BrixiaImport.Zones.Count];
        var mean = new double[BrixiaImport.Zones.Count];
        for (int z = 0; z < any.Length; z++)
        {
            var scores = new[] { 1, 2 }.Select(r => Manifest.Grade(row, BrixiaImport.ZoneColumn(BrixiaImport.Zones[z], r))).Where(s => s is >= 0 and <= 3).Select(s => s!.Value).ToList();
            any[z] = scores.Count == 0 ? double.NaN : scores.Average(s => s > 0 ? 1.0 : 0.0);
            mean[z] = scores.Count == 0 ? double.NaN : scores.Average() / 3;
        }
        return any.All(double.IsNaN) ? null : new ZoneTargets(any, mean);
    }
}

/// <summary>
/// Images with their six lung zones (from the lung masks, <see cref="LungZones"/>) and zone targets
/// (<see cref="ZoneTargets"/>), as tensors for training an opacity map from zone scores: Images N x 1 x S x S in [0, 1];
/// Masks N x 7 x S x S, the six zones then both lungs; Labels N x 18, per zone P(scored > 0), score / 3 and whether
/// the zone is known (scored, and its lung mask not empty). Images that cannot be used are left out with the reason.
/// </summary>
public sealed class ZoneScoredImages : IDisposable
{
    /// <summary>The zones per image in the loss's layout (<see cref="ZoneLoss"/>, BrixIA's six).</summary>
    const int ZoneCount = ZoneLoss.Zones;

    ZoneScoredImages(IReadOnlyList<ManifestRow> rows, IReadOnlyList<LungZones> zones, IReadOnlyList<LungMasks> lungs, Tensor images, Tensor masks, Tensor labels,
        IReadOnlyList<ImageFailure> failures)
    {
        Rows = rows;
        Zones = zones;
        Lungs = lungs;
        Images = images;
        Masks = masks;
        Labels = labels;
        Failures = failures;
    }

    public IReadOnlyList<ManifestRow> Rows { get; }
    public IReadOnlyList<LungZones> Zones { get; }
    /// <summary>The lung masks the zones were placed on, at the images' size.</summary>
    public IReadOnlyList<LungMasks> Lungs { get; }
    public Tensor Images { get; }
    public Tensor Masks { get; }
    public Tensor Labels { get; }
    public IReadOnlyList<ImageFailure> Failures { get; }

    /// <summary>Refuses a manifest without the zone columns, naming it and the columns.</summary>
    public static void RequireColumns(Manifest manifest, string manifestPath)
    {
        var missing = BrixiaImport.ZoneColumns.Where(c => !manifest.ExtraColumns.Contains(c)).ToList();
        if (missing.Count == BrixiaImport.ZoneColumns.Count)
            throw new InvalidDataException($"{manifestPath}: no zone score columns ({string.Join(", ", missing)}); " +
                                           "a manifest made by `pleura manifest brixia` has them");
        if (!RoiImages.ManifestHasMasks(manifest))
            throw new InvalidDataException($"{manifestPath}: no lung mask columns ({RoiImages.LeftMaskColumn} / {RoiImages.RightMaskColumn} or {RoiImages.BothMaskColumn}); " +
                                           "run `pleura segment predict LUNG_MODEL --manifest` first");
    }

    /// <summary>The rows' images, zones and targets at size x size; rows without scores, lung masks or a readable image are failures.</summary>
    public static ZoneScoredImages Load(Manifest manifest, IReadOnlyList<ManifestRow> rows, int size)
    {
        var failures = new List<ImageFailure>();
        var kept = new List<(ManifestRow Row, ZoneTargets Targets, LungZones Zones, LungMasks Lungs)>();
        foreach (var row in rows)
        {
            var where = manifest.ResolvePath(row);
            if (ZoneTargets.Of(row) is not { } targets) { failures.Add(new ImageFailure(where, $"{row.ImageId}: no zone scores ({string.Join(", ", BrixiaImport.ZoneColumns)} blank)")); continue; }
            if (!RoiImages.HasLungMasks(row)) { failures.Add(new ImageFailure(where, $"{row.ImageId}: no lung mask ({RoiImages.LeftMaskColumn} / {RoiImages.RightMaskColumn} or {RoiImages.BothMaskColumn} blank)")); continue; }
            LungMasks lungs;
            try { lungs = RoiImages.ReadLungMasks(manifest, row, size); }
            catch (Exception e) when (e is ImageReadException or IOException) { failures.Add(new ImageFailure(where, $"{row.ImageId}: lung mask unreadable: {e.Message}")); continue; }
            var zones = LungZones.From(lungs);
            var empty = PatientSides.Both.Where(s => zones.Extent(s) is null).Select(s => s.Name()).ToList();
            if (empty.Count > 0)
            {
                failures.Add(new ImageFailure(where, $"{row.ImageId}: the {string.Join(" and ", empty)} lung mask is empty at {size}x{size}, so its zones cannot be placed"));
                continue;
            }
            kept.Add((row, targets, zones, lungs));
        }
        using var read = ImageTensors.Read(kept.Select(k => manifest.ResolvePath(k.Row)).ToList(), size, ErrorPolicy.Continue);
        failures.AddRange(read.Failures);
        var used = read.Readable.Select(i => kept[i]).ToList();
        int pixels = size * size;
        var masks = new float[used.Count * (ZoneCount + 1) * pixels];
        var labels = new float[used.Count * 3 * ZoneCount];
        for (int n = 0; n < used.Count; n++)
        {
            var (_, targets, zones, lungs) = used[n];
            for (int z = 0; z < ZoneCount; z++)
            {
                var mask = zones.Mask(LungZones.Order[z]);
                for (int i = 0; i < pixels; i++) if (mask[i]) masks[(n * (ZoneCount + 1) + z) * pixels + i] = 1;
                bool known = !double.IsNaN(targets.Any[z]);
                labels[n * 3 * ZoneCount + z] = known ? (float)targets.Any[z] : 0;
                labels[n * 3 * ZoneCount + ZoneCount + z] = known ? (float)targets.Mean[z] : 0;
                labels[n * 3 * ZoneCount + 2 * ZoneCount + z] = known ? 1 : 0;
            }
            var union = lungs.Union();
            for (int i = 0; i < pixels; i++) masks[(n * (ZoneCount + 1) + ZoneCount) * pixels + i] = union[i];
        }
        var images = read.Images.Images.detach().clone();
        return new ZoneScoredImages(used.Select(u => u.Row).ToList(), used.Select(u => u.Zones).ToList(), used.Select(u => u.Lungs).ToList(), images,
            tensor(masks, new long[] { used.Count, ZoneCount + 1, size, size }), tensor(labels, new long[] { used.Count, 3 * ZoneCount }), failures);
    }

    public void Dispose()
    {
        Images.Dispose();
        Masks.Dispose();
        Labels.Dispose();
    }
}
