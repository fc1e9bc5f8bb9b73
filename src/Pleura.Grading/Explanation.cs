using System.Globalization;
using System.Text;
using NetVips;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Explainability;
using Pleura.Files;
using Pleura.Imaging;
using Pleura.Imaging.Roi;
using Pleura.Networks.Weights;
using static TorchSharp.torch;

namespace Pleura.Grading;

/// <summary>One explained image: both sides' explanations, the whole-image heatmap and its concordance scores.</summary>
public sealed record ExplainedImage(string ImageId, int? LeftTruth, int? RightTruth, SideExplanation Left, SideExplanation Right,
    double Hcs, double HcsCount, double OpacityConcordance, string? OverlayPath)
{
    /// <summary>The largest grade error over the two lungs (0 = both right); NaN-free only where both truths exist.</summary>
    public int? Disagreement => LeftTruth is { } l && RightTruth is { } r ? Math.Max(Math.Abs(Left.Grade - l), Math.Abs(Right.Grade - r)) : null;

    /// <summary>The image's grade for MA-HCS: the higher of its two lungs' true grades.</summary>
    public int? Grade => LeftTruth is { } l && RightTruth is { } r ? Math.Max(l, r) : LeftTruth ?? RightTruth;
}

/// <summary>Summary of a set's heatmaps (NaN where masks were not available).</summary>
public sealed record ExplanationSummary(int Images, double MeanHcs, double MaHcs, double MeanHcsCount, double MeanOpacityConcordance);

/// <summary>
/// `pleura explain`: Grad-CAM heatmaps of a run's left and right models on a part of a split, the Heatmap Concordance
/// Score against the lung masks the manifest names (columns <c>left_lung_mask</c> and <c>right_lung_mask</c>; the lung
/// U-Net will supply them for other data), the share of attention on the true opacity where an <c>opacity_mask</c> column
/// exists (phantoms), an overlay per image and a matrix of cases by agreement level.
/// </summary>
public static class Explanation
{
    public static (IReadOnlyList<ExplainedImage> Images, ExplanationSummary Summary) Run(string runFolder, string manifestPath, string splitPath,
        SplitPart part, int fold, string? outputFolder, int limit = int.MaxValue, string? layer = null, Action<int, int>? progress = null)
    {
        RunRecord.RequireComplete(runFolder);
        var (manifest, plan, _) = SideData.Open(manifestPath, splitPath, labelColumns: null);
        var (leftModel, leftInfo) = Checkpoint.Load(GradingRun.CheckpointPath(runFolder, Side.Left));
        var (rightModel, rightInfo) = Checkpoint.Load(GradingRun.CheckpointPath(runFolder, Side.Right));
        if (leftInfo.InputSize != rightInfo.InputSize) throw new InvalidDataException("left and right models take different input sizes; explain them one at a time");
        int size = leftInfo.InputSize;
        string leftLayer = layer ?? GradCam.DefaultLayer(leftInfo.Architecture), rightLayer = layer ?? GradCam.DefaultLayer(rightInfo.Architecture);

        var ids = plan.Images(part, fold).ToHashSet();
        var rows = manifest.Rows.Where(r => ids.Contains(r.ImageId)).Take(limit).ToList();
        var images = RoiImages.Load(manifest, rows, size, ErrorPolicy.Continue);
        var results = new List<ExplainedImage>();
        var readable = rows.Where(r => images.Contains(r.ImageId)).ToList();
        const int batch = 16;
        for (int start = 0; start < readable.Count; start += batch)
        {
            var chunk = readable.Skip(start).Take(batch).ToList();
            var lefts = ExplainSide(Side.Left, leftModel, leftInfo, leftLayer, chunk, images);
            var rights = ExplainSide(Side.Right, rightModel, rightInfo, rightLayer, chunk, images);
            for (int i = 0; i < chunk.Count; i++)
            {
                results.Add(Describe(manifest, chunk[i], images.Whole[chunk[i].ImageId], size, lefts[i], rights[i], leftInfo.LabelColumn, rightInfo.LabelColumn, outputFolder));
                progress?.Invoke(results.Count, readable.Count);
            }
        }
        return (results, Summarise(results, outputFolder));
    }

    /// <summary>
    /// A side model's explanations on its own inputs (the checkpoint's ROI scheme), with each heatmap mapped back to the
    /// whole image at the input size: zero outside a crop or half.
    /// </summary>
    static IReadOnlyList<SideExplanation> ExplainSide(Side side, nn.Module<Tensor, Tensor> model, CheckpointInfo info, string layer,
        IReadOnlyList<ManifestRow> rows, RoiImages images)
    {
        var roi = RoiSchemes.Parse(info.Roi);
        var inputs = rows.Select(r => images.Input(r.ImageId, roi, side.Patient, info.Pooled)).ToList();
        var explained = SideHeatmap.Explain(side.Name, model, layer, inputs.Select(i => i.Pixels).ToList(), info.InputSize, info.InputChannels, info.Recipe);
        return explained.Select((e, k) => e with { Heatmap = inputs[k].Cut.MapBackAtInputSize(e.Heatmap, info.InputSize) }).ToList();
    }

    /// <summary>
    /// One image's whole-image heatmap (mean of the sides' maps, each already in whole-image coordinates at
    /// <paramref name="size"/>²), its concordance scores against the manifest's masks, and its overlay when a folder is given.
    /// </summary>
    public static ExplainedImage Describe(Manifest manifest, ManifestRow row, float[] pixels, int size, SideExplanation left, SideExplanation right,
        string leftLabelColumn, string rightLabelColumn, string? outputFolder)
    {
        var heat = SideHeatmap.WholeImage(new[] { left, right });
        var lungs = Union(Mask(manifest, row, RoiImages.LeftMaskColumn, size), Mask(manifest, row, RoiImages.RightMaskColumn, size))
                    ?? Mask(manifest, row, RoiImages.BothMaskColumn, size);
        var opacity = Mask(manifest, row, "opacity_mask", size);
        double hcs = lungs is null ? double.NaN : HeatmapConcordance.Weighted(heat, lungs);
        double hcsCount = lungs is null ? double.NaN : HeatmapConcordance.Count(heat, lungs, 0.05f);
        double onOpacity = opacity is null || !opacity.Any(o => o) ? double.NaN : HeatmapConcordance.Weighted(heat, opacity);
        int? leftTruth = Manifest.Grade(row, leftLabelColumn), rightTruth = Manifest.Grade(row, rightLabelColumn);
        string? overlayPath = null;
        if (outputFolder is not null)
        {
            overlayPath = Path.Combine(outputFolder, "images", FileNames.Safe(row.ImageId) + ".png");
            string Truth(int? t) => t is null ? "" : $" (true {t})";
            Overlay.Write(overlayPath, pixels, heat, lungs, size, new[]
            {
                $"{row.ImageId}",
                $"patient's right lung: {right.Grade}{Truth(rightTruth)}   left lung: {left.Grade}{Truth(leftTruth)}",
                double.IsNaN(hcs) ? "HCS: no lung mask" : $"HCS {hcs:0.00}" + (double.IsNaN(onOpacity) ? "" : $"   on opacity {onOpacity:0.00}"),
            });
        }
        return new ExplainedImage(row.ImageId, leftTruth, rightTruth, left, right, hcs, hcsCount, onOpacity, overlayPath);
    }

    /// <summary>The set's mean scores; with a folder, also hcs.csv and the agreement-level matrix figure.</summary>
    public static ExplanationSummary Summarise(IReadOnlyList<ExplainedImage> results, string? outputFolder)
    {
        var summary = new ExplanationSummary(results.Count, Mean(results.Select(r => r.Hcs)),
            HeatmapConcordance.MacroAveraged(results.Where(r => r.Grade is not null).Select(r => (r.Grade!.Value, r.Hcs))),
            Mean(results.Select(r => r.HcsCount)), Mean(results.Select(r => r.OpacityConcordance)));
        if (outputFolder is not null)
        {
            WriteTable(Path.Combine(outputFolder, "hcs.csv"), results);
            WriteMatrix(Path.Combine(outputFolder, "matrix.png"), results);
        }
        return summary;
    }

    static double Mean(IEnumerable<double> values)
    {
        var defined = values.Where(v => !double.IsNaN(v)).ToList();
        return defined.Count == 0 ? double.NaN : defined.Average();
    }

    static bool[]? Mask(Manifest manifest, ManifestRow row, string column, int size)
    {
        var relative = row.GetExtra(column);
        if (relative.Length == 0) return null;
        var path = manifest.Resolve(relative);
        // The structure a column names: left_lung_mask -> left_lung (LabelMe files hold several labelled polygons).
        var mask = MaskReader.ReadResized(path, column[..^"_mask".Length], size, size);
        return mask.Pixels.Select(p => p >= 0.5f).ToArray();
    }

    static bool[]? Union(bool[]? a, bool[]? b) => a is null ? b : b is null ? a : a.Zip(b, (x, y) => x || y).ToArray();


    static void WriteTable(string path, IEnumerable<ExplainedImage> results)
    {
        CsvOutput.Write(path, ["image", "left_true", "left_pred", "right_true", "right_pred", "disagreement", "hcs", "hcs_count", "opacity_concordance", "overlay"],
            results.Select(r => new[]
            {
                r.ImageId, CsvOutput.Integer(r.LeftTruth), CsvOutput.Integer(r.Left.Grade), CsvOutput.Integer(r.RightTruth), CsvOutput.Integer(r.Right.Grade),
                CsvOutput.Integer(r.Disagreement), CsvText.Number(r.Hcs, "0.0000"), CsvText.Number(r.HcsCount, "0.0000"), CsvText.Number(r.OpacityConcordance, "0.0000"),
                r.OverlayPath ?? "",
            }));
    }

    /// <summary>Rows: exact on both lungs, one grade off, two or more off (METHOD section 9, item 5); up to six cases each.</summary>
    static void WriteMatrix(string path, IReadOnlyList<ExplainedImage> results)
    {
        const int thumb = 256, gap = 6, across = 6, width = across * (thumb + gap);
        var background = new double[] { 20, 20, 20 };
        Image? matrix = null;
        foreach (var (label, level) in new[] { ("both lungs right", 0), ("one grade off", 1), ("two or more grades off", 2) })
        {
            var cases = results.Where(r => r.OverlayPath is not null && r.Disagreement is { } d && Math.Min(d, 2) == level).Take(across)
                .Select(r => Image.Thumbnail(r.OverlayPath!, thumb)).ToArray();
            using var title = Image.Text($"{label} ({results.Count(r => r.Disagreement is { } d && Math.Min(d, 2) == level)} cases)", dpi: 110, font: "sans bold");
            using var lifted = (title * (235.0 / 255.0) + 20).Cast(Enums.BandFormat.Uchar);
            var heading = lifted.Bandjoin(lifted, lifted).Embed(gap, gap, width, title.Height + 2 * gap, extend: Enums.Extend.Background, background: background);
            var row = cases.Length == 0
                ? (Image.Black(width, 30, bands: 3) + 20).Cast(Enums.BandFormat.Uchar)
                : Image.Arrayjoin(cases, across: across, shim: gap, background: background)
                    .Embed(0, 0, width, cases.Max(c => c.Height) + gap, extend: Enums.Extend.Background, background: background);
            var block = heading.Join(row, Enums.Direction.Vertical, background: background);
            matrix = matrix is null ? block : matrix.Join(block, Enums.Direction.Vertical, background: background);
        }
        matrix!.Pngsave(path);
    }
}
