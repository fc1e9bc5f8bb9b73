using System.Collections.Concurrent;
using Pleura.Data;
using Pleura.Imaging;
using Pleura.Imaging.Roi;

namespace Pleura.Datasets;

/// <summary>An image whose ROI could not be made, and the rule applied: its side model sees the whole image instead.</summary>
public sealed record RoiFailure(string ImageId, string Side, string Roi, string Reason)
{
    public const string Rule = "the side model sees the whole image (ROI none) for this image";
}

/// <summary>
/// Model inputs per image, side and ROI scheme (METHOD section 3), made once and kept: each image is decoded once per
/// size and its lung masks once, whichever ROI schemes and sides a study asks for. Lung masks come from the manifest's
/// <c>left_lung_mask</c> / <c>right_lung_mask</c> columns (mask images or LabelMe files; given, or written by the lung U-Net). An image whose ROI
/// fails a sanity check is reported and falls back to the whole image (<see cref="RoiFailure.Rule"/>).
/// </summary>
public sealed class RoiImages
{
    public const string LeftMaskColumn = "left_lung_mask", RightMaskColumn = "right_lung_mask", BothMaskColumn = "lung_mask", SpineMaskColumn = "spine_mask";

    readonly Manifest _manifest;
    readonly Dictionary<string, ManifestRow> _rows;
    readonly ImageCache _whole;
    readonly ConcurrentDictionary<string, (float[] Pixels, LungMasks? Masks, bool[]? Spine, string? Error)> _working = new();
    readonly ConcurrentDictionary<(string, RoiScheme, PatientSide), (float[] Pixels, RoiCut Cut)> _inputs = new();
    readonly ConcurrentDictionary<(string, RoiScheme, PatientSide), RoiFailure> _failures = new();

    RoiImages(Manifest manifest, IReadOnlyList<ManifestRow> rows, ImageCache whole)
    {
        _manifest = manifest;
        _rows = rows.DistinctBy(r => r.ImageId).ToDictionary(r => r.ImageId);
        _whole = whole;
    }

    public int InputSize => _whole.Size;
    /// <summary>The resolution ROIs are cut at before resizing to the input: twice the input, so crops keep detail.</summary>
    public int WorkingSize => 2 * _whole.Size;
    public IReadOnlyList<ImageFailure> Unreadable => _whole.Failures;
    public IReadOnlyList<RoiFailure> RoiFailures => _failures.Values.OrderBy(f => f.ImageId, StringComparer.Ordinal).ThenBy(f => f.Side).ThenBy(f => f.Roi).ToList();
    public bool Contains(string imageId) => _whole.Contains(imageId);
    public ImageCache Whole => _whole;

    public static RoiImages Load(Manifest manifest, IReadOnlyList<ManifestRow> rows, int inputSize, ErrorPolicy policy, Action<int>? progress = null) =>
        new(manifest, rows, ImageCache.Load(manifest, rows, inputSize, policy, progress));

    /// <summary>Per-lung mask columns, or one <c>lung_mask</c> column of both lungs (split by anatomy).</summary>
    public bool HasMasks => ManifestHasMasks(_manifest);

    public static bool ManifestHasMasks(Manifest manifest) =>
        (manifest.ExtraColumns.Contains(LeftMaskColumn) && manifest.ExtraColumns.Contains(RightMaskColumn)) || manifest.ExtraColumns.Contains(BothMaskColumn);

    static bool HasMasksFor(ManifestRow row) => HasLungMasks(row);

    public static bool HasLungMasks(ManifestRow row) => (row.GetExtra(LeftMaskColumn) != "" && row.GetExtra(RightMaskColumn) != "") || row.GetExtra(BothMaskColumn) != "";

    /// <summary>The input (InputSize², in [0, 1]) of a side's model for an image, and the cut that made it.</summary>
    /// <param name="pooled">For a model pooled over both lungs: the left side's input mirrored (<see cref="PooledSides"/>).</param>
    public (float[] Pixels, RoiCut Cut) Input(string imageId, RoiScheme scheme, PatientSide side, bool pooled)
    {
        var (pixels, cut) = Unmirrored(imageId, scheme, side);
        return PooledSides.Seen(pixels, cut, InputSize, side, pooled);
    }

    (float[] Pixels, RoiCut Cut) Unmirrored(string imageId, RoiScheme scheme, PatientSide side)
    {
        if (scheme == RoiScheme.None) return (_whole[imageId], RoiCut.Whole(InputSize, InputSize));
        return _inputs.GetOrAdd((imageId, scheme, side), key =>
        {
            var (pixels, masks, spine, error) = Working(imageId);
            try
            {
                if (error is not null) throw new RoiException(error);
                var cut = RoiCut.For(scheme, side, masks, WorkingSize, WorkingSize, spine);
                return (cut.Apply(pixels, InputSize), cut);
            }
            catch (RoiException e)
            {
                _failures[key] = new RoiFailure(imageId, side.Name(), scheme.Name(), e.Message);
                return (_whole[imageId], RoiCut.Whole(InputSize, InputSize));
            }
        });
    }

    /// <summary>
    /// Makes every listed ROI of an image at once, then lets go of its working-size copy: a large study keeps only the
    /// model inputs (input size), not a twice-as-large image and masks per image.
    /// </summary>
    public void Prepare(string imageId, IReadOnlyList<RoiScheme> schemes, IReadOnlyList<PatientSide> sides)
    {
        foreach (var scheme in schemes) foreach (var side in sides) Unmirrored(imageId, scheme, side);
        _working.TryRemove(imageId, out _);
    }

    /// <summary>Both lungs at <paramref name="size"/>², or null without mask columns: what HCS measures attention against.</summary>
    public float[]? LungMask(string imageId, int size)
    {
        var row = _rows[imageId];
        if (!HasMasks || !HasMasksFor(row)) return null;
        return ReadLungMasks(_manifest, row, size).Union();
    }

    (float[] Pixels, LungMasks? Masks, bool[]? Spine, string? Error) Working(string imageId) => _working.GetOrAdd(imageId, id =>
    {
        var row = _rows[id];
        var pixels = RadiographReader.ReadResized(_manifest.ResolvePath(row), WorkingSize, WorkingSize).Pixels;
        if (!HasMasks) return (pixels, null, null, $"the manifest has no {LeftMaskColumn} / {RightMaskColumn} or {BothMaskColumn} columns (give masks or run the lung U-Net)");
        if (!HasMasksFor(row)) return (pixels, null, null, "no lung mask for this image");
        try
        {
            // A spine mask, where the manifest has one, places the midline; otherwise the lungs' medial borders do.
            bool[]? spine = row.GetExtra(SpineMaskColumn) is { Length: > 0 } spinePath
                ? MaskReader.ReadResized(_manifest.Resolve(spinePath), "spine", WorkingSize, WorkingSize)
                    .Pixels.Select(v => v >= 0.5f).ToArray()
                : null;
            return (pixels, ReadLungMasks(_manifest, row, WorkingSize), spine, null);
        }
        catch (ImageReadException e) { return (pixels, null, null, $"mask unreadable: {e.Message}"); }
    });

    /// <summary>A row's lung masks at size²: the per-lung columns, or else the both-lungs column split by anatomy.</summary>
    public static LungMasks ReadLungMasks(Manifest manifest, ManifestRow row, int size)
    {
        string Resolve(string column) => manifest.Resolve(row.GetExtra(column));
        if (row.GetExtra(LeftMaskColumn) == "" || row.GetExtra(RightMaskColumn) == "")
            return LungMasks.FromBothLungs(MaskReader.ReadResized(Resolve(BothMaskColumn), "lung", size, size));
        return LungMasks.FromImages(MaskReader.ReadResized(Resolve(LeftMaskColumn), "left_lung", size, size), MaskReader.ReadResized(Resolve(RightMaskColumn), "right_lung", size, size));
    }
}
