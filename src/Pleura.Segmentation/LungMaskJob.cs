using Pleura.Data;
using Pleura.Datasets;
using Pleura.Files;
using Pleura.Imaging;
using Pleura.Imaging.Roi;
using Pleura.Training;

namespace Pleura.Segmentation;

/// <summary>An image whose predicted lungs look wrong: lungs on the wrong sides (flipped) or missing (lateral view?).</summary>
public sealed record LungMaskFlag(string ImageId, string Reason);

/// <summary>
/// `pleura segment predict --manifest`: the lung U-Net's masks for a manifest's images, post-processed (per lung the
/// largest region, holes filled), checked against anatomy, written as PNGs, and added to a copy of the manifest as
/// <c>left_lung_mask</c> / <c>right_lung_mask</c> for images that had no lung mask, ready for the lung and spine ROIs and HCS.
/// </summary>
public static class LungMaskJob
{
    public static (Manifest Manifest, IReadOnlyList<LungMaskFlag> Flags, IReadOnlyList<ImageFailure> Failures) Run(string modelPath, Manifest manifest, string outputFolder)
    {
        using var segmenter = LungSegmenter.Load(modelPath);
        int size = segmenter.Size;
        // Only images with no lung mask at all: given masks (per lung, or both lungs in lung_mask) are kept.
        var rows = manifest.Rows.Where(r => !RoiImages.HasLungMasks(r)).ToList();
        var batch = ImageBatch.Read(rows.Select(manifest.ResolvePath).ToList(), p => RadiographReader.ReadResized(p, size, size), ErrorPolicy.Continue);
        var readable = Enumerable.Range(0, rows.Count).Where(i => batch.Images[i] is not null).ToList();
        var predicted = segmenter.Masks(readable.Select(i => batch.Images[i]!.Pixels).ToList());
        var flags = new List<LungMaskFlag>();
        var written = new Dictionary<string, (string Left, string Right)>();
        for (int k = 0; k < readable.Count; k++)
        {
            var row = rows[readable[k]];
            var masks = predicted[k];
            if (LungSegmenter.Check(masks) is { } reason) flags.Add(new LungMaskFlag(row.ImageId, reason));
            string Write(string name, bool[] mask)
            {
                string path = Path.Combine(outputFolder, name, FileNames.Safe(row.ImageId) + ".png");
                PngWriter.WriteMask(path, mask, size, size);
                return Path.GetFullPath(path);
            }
            written[row.ImageId] = (Write("left_lung", masks.Left), Write("right_lung", masks.Right));
        }
        // Paths become absolute: the copy may be written anywhere.
        string Absolute(string p) => p == "" ? p : manifest.Resolve(p);
        var updated = manifest.Rows.Select(r =>
        {
            var extra = r.Extra.ToDictionary(kv => kv.Key, kv => kv.Key.EndsWith("_mask", StringComparison.Ordinal) ? Absolute(kv.Value) : kv.Value);
            if (written.TryGetValue(r.ImageId, out var paths))
            {
                extra[RoiImages.LeftMaskColumn] = paths.Left;
                extra[RoiImages.RightMaskColumn] = paths.Right;
            }
            return r with { Path = manifest.ResolvePath(r), Extra = extra };
        }).ToList();
        var columns = manifest.ExtraColumns.Concat(new[] { RoiImages.LeftMaskColumn, RoiImages.RightMaskColumn }).Distinct().ToList();
        return (new Manifest(updated, columns, manifest.BaseDirectory), flags, batch.Failures);
    }
}
