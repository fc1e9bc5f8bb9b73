using Pleura.Data;
using Pleura.Training;

namespace Pleura.Datasets;

/// <summary>Builds one side's labelled tensors for a part of a fold from the manifest, split and image cache.</summary>
public static class SideData
{
    /// <summary>Rows of a part that have a grade in <paramref name="labelColumn"/> and a readable image.</summary>
    public static List<(ManifestRow Row, int Grade)> Rows(Manifest manifest, SplitPlan plan, SplitPart part, int fold, string labelColumn, ImageCache? cache = null)
    {
        var ids = plan.Images(part, fold).ToHashSet();
        return manifest.Rows
            .Where(r => ids.Contains(r.ImageId) && (cache is null || cache.Contains(r.ImageId)))
            .Select(r => (Row: r, Grade: Manifest.Grade(r, labelColumn)))
            .Where(x => x.Grade is >= 0 and <= 3)
            .Select(x => (x.Row, x.Grade!.Value))
            .ToList();
    }

    public static LabelledImages Tensors(IReadOnlyList<(ManifestRow Row, int Grade)> rows, ImageCache cache) =>
        LabelledImages.FromPixels(rows.Select(r => cache[r.Row.ImageId]).ToList(), cache.Size, rows.Select(r => r.Grade).ToList());

    /// <summary>
    /// Loads the manifest (checking the label columns used, up front) and the split, and checks that the split was
    /// made from this manifest (<see cref="SplitBinding"/>): refused when its patients or images disagree.
    /// </summary>
    public static (Manifest Manifest, SplitPlan Plan, string? Warning) Open(string manifestPath, string splitPath, IReadOnlyCollection<string>? labelColumns)
    {
        var manifest = ManifestInput.Open(manifestPath, labelColumns);
        var plan = SplitPlan.Load(splitPath);
        return (manifest, plan, SplitBinding.Check(plan, manifest, splitPath, manifestPath));
    }
}
