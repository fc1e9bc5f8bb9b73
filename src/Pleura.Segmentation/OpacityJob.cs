using System.Globalization;
using System.Text;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Files;
using Pleura.Imaging;
using Pleura.Imaging.Roi;
using Pleura.Training;

namespace Pleura.Segmentation;

/// <summary>Per lung: the opaque share of the lung and its grade; per patient image: % of both lungs opaque.</summary>
public sealed record OpacityMeasure(double LeftFraction, double RightFraction, double PercentOfLungs)
{
    public int LeftGrade => OpacityGrade.FromFraction(LeftFraction);
    public int RightGrade => OpacityGrade.FromFraction(RightFraction);

    /// <summary>fraction = area(opacity AND lung) / lung area (METHOD section 1, the fourth study).</summary>
    public static OpacityMeasure From(bool[] opacity, LungMasks lungs)
    {
        double Fraction(bool[] lung)
        {
            int area = 0, opaque = 0;
            for (int i = 0; i < lung.Length; i++) if (lung[i]) { area++; if (opacity[i]) opaque++; }
            return area == 0 ? double.NaN : opaque / (double)area;
        }
        var union = lungs.Left.Zip(lungs.Right, (l, r) => l || r).ToArray();
        return new OpacityMeasure(Fraction(lungs.Left), Fraction(lungs.Right), 100 * Fraction(union));
    }
}

/// <summary>One image's predicted opacity, and where known its Dice against the true opacity mask.</summary>
public sealed record OpacityImage(string ImageId, OpacityMeasure Measure, double? Dice);

/// <summary>An outcome column (e.g. went_icu) predicted by % opacity: ROC AUC with its bootstrap interval.</summary>
public sealed record OutcomeAuc(string Column, string PositiveMeans, int Positives, int Negatives, BootstrapEstimate Auc);

public sealed record OpacityEvaluation(IReadOnlyList<OpacityImage> Images, IReadOnlyList<(string Side, IReadOnlyList<MetricValue> Metrics)> GradeAgreement,
    BootstrapEstimate? Dice, IReadOnlyList<OutcomeAuc> Outcomes, int WithoutLungMasks, IReadOnlyList<ImageFailure> Failures);

/// <summary>
/// `pleura segment opacity`: an opacity U-Net's masks on a manifest's images; per lung the opaque fraction and grade,
/// per image % of the lungs opaque; agreement of those grades with the readers, Dice against true opacity masks where
/// the manifest has them (phantoms, LabelMe annotations), and how well % opacity predicts outcome columns.
/// </summary>
public static class OpacityJob
{
    /// <summary>Outcome columns and which answer counts as the event (ICU admission; death = survival N).</summary>
    public static readonly IReadOnlyList<(string Column, string Event, string Meaning)> Outcomes = new[]
    {
        ("went_icu", "Y", "admitted to ICU"),
        ("survival", "N", "died"),
    };

    public static OpacityEvaluation Evaluate(string modelPath, Manifest manifest, IReadOnlyList<ManifestRow> rows, Side left, Side right, int bootstrap = 1000, int seed = 0)
    {
        var (network, structures, size, recipe) = SegmentationCheckpoint.Load(modelPath);
        int channel = structures.ToList().FindIndex(s => s.Equals("opacity", StringComparison.OrdinalIgnoreCase));
        if (channel < 0) throw new ArgumentException($"{modelPath} segments {string.Join(", ", structures)}; an opacity model segments 'opacity'");
        var withLungs = rows.Where(RoiImages.HasLungMasks).ToList();
        using var read = ImageTensors.Read(withLungs.Select(manifest.ResolvePath).ToList(), size, ErrorPolicy.Continue);
        var predicted = SegmentationTraining.Predict(network, read.Images.Images, recipe: recipe);
        var images = new List<OpacityImage>();
        for (int k = 0; k < read.Readable.Count; k++)
        {
            var row = withLungs[read.Readable[k]];
            var lungs = RoiImages.ReadLungMasks(manifest, row, size);
            double? dice = null;
            if (row.GetExtra("opacity_mask") is { Length: > 0 } truthPath)
            {
                var truth = MaskReader.ReadResized(manifest.Resolve(truthPath), "opacity", size, size).Pixels.Select(v => v >= 0.5f).ToArray();
                dice = SegmentationMetrics.Compute(predicted[k][channel], truth, size, size).Dice;
            }
            images.Add(new OpacityImage(row.ImageId, OpacityMeasure.From(predicted[k][channel], lungs), dice));
        }

        var byId = manifest.Rows.ToDictionary(r => r.ImageId);
        var agreement = new List<(string, IReadOnlyList<MetricValue>)>();
        foreach (var (side, grade) in new[] { (left, (Func<OpacityMeasure, int>)(m => m.LeftGrade)), (right, m => m.RightGrade) })
        {
            var scored = images.Where(i => !double.IsNaN(side == left ? i.Measure.LeftFraction : i.Measure.RightFraction))
                .Select(i => (i, truth: Manifest.Grade(byId[i.ImageId], side.Reader1Column))).Where(x => x.truth is >= 0 and <= 3).ToList();
            if (scored.Count > 0)
                agreement.Add((side.Name, MetricTable.Score(scored.Select(x => x.truth!.Value).ToList(), scored.Select(x => grade(x.i.Measure)).ToList(), null, OpacityGrade.Count, bootstrap, seed)));
        }
        var dices = images.Where(i => i.Dice.HasValue).Select(i => i.Dice!.Value).ToList();
        var diceEstimate = dices.Count == 0 ? null : Bootstrap.Percentile(dices.Count, idx => idx.Average(j => dices[j]), bootstrap, 0.95, seed);

        var outcomes = new List<OutcomeAuc>();
        foreach (var (column, positive, meaning) in Outcomes)
        {
            if (!manifest.ExtraColumns.Contains(column)) continue;
            var known = images.Select(i => (i, v: byId[i.ImageId].GetExtra(column))).Where(x => x.v is "Y" or "N" && !double.IsNaN(x.i.Measure.PercentOfLungs)).ToList();
            var truth = known.Select(x => x.v == positive ? 1 : 0).ToList();
            var scores = known.Select(x => x.i.Measure.PercentOfLungs).ToList();
            if (truth.Distinct().Count() < 2) continue;
            var auc = Bootstrap.Percentile(truth.Count, idx =>
            {
                var t = idx.Select(j => truth[j]).ToList();
                return t.Distinct().Count() < 2 ? double.NaN : Roc.Auc(t, idx.Select(j => scores[j]).ToList());
            }, bootstrap, 0.95, seed);
            outcomes.Add(new OutcomeAuc(column, meaning, truth.Count(t => t == 1), truth.Count(t => t == 0), auc));
        }
        return new OpacityEvaluation(images, agreement, diceEstimate, outcomes, rows.Count - withLungs.Count, read.Failures);
    }

    /// <summary>
    /// Overlays of an opacity model's map on the first <paramref name="count"/> rows with lung masks: the probability
    /// as heat, each lung's outline with its three zones (<see cref="LungZones"/>), and per lung the opaque fraction,
    /// its grade and the readers' grades. Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> WriteOverlays(string modelPath, Manifest manifest, IReadOnlyList<ManifestRow> rows, string folder, int count, Side left, Side right)
    {
        var (network, structures, size, recipe) = SegmentationCheckpoint.Load(modelPath);
        int channel = structures.ToList().FindIndex(s => s.Equals("opacity", StringComparison.OrdinalIgnoreCase));
        if (channel < 0) throw new ArgumentException($"{modelPath} segments {string.Join(", ", structures)}; an opacity model segments 'opacity'");
        var chosen = rows.Where(RoiImages.HasLungMasks).Take(count).ToList();
        using var read = ImageTensors.Read(chosen.Select(manifest.ResolvePath).ToList(), size, ErrorPolicy.Continue);
        var maps = SegmentationTraining.Probabilities(network, read.Images.Images, recipe: recipe);
        using var grey = read.Images.Images.contiguous();
        var pixels = grey.data<float>().ToArray();
        var written = new List<string>();
        for (int k = 0; k < read.Readable.Count; k++)
        {
            var row = chosen[read.Readable[k]];
            var lungs = RoiImages.ReadLungMasks(manifest, row, size);
            var measure = OpacityMeasure.From(maps[k][channel].Select(v => v >= 0.5f).ToArray(), lungs);
            string Lung(string name, double fraction, Side side) =>
                $"{name}: {fraction:P0} opaque, grade {OpacityGrade.FromFraction(fraction)} (readers {row.GetExtra(side.Reader1Column)}/{row.GetExtra(side.Reader2Column)})";
            var path = Path.Combine(folder, FileNames.Safe(row.ImageId) + ".png");
            Pleura.Explainability.Overlay.Write(path, pixels.AsSpan(k * size * size, size * size).ToArray(), maps[k][channel], LungZones.From(lungs).OutlineMask(), size,
                [row.ImageId, Lung("patient's right lung", measure.RightFraction, right), Lung("left lung", measure.LeftFraction, left), $"{measure.PercentOfLungs:0}% of the lungs opaque; zones: thirds of each lung's height"]);
            written.Add(path);
        }
        return written;
    }

    /// <summary>Every figure of an evaluation: grade agreement per side, Dice, outcome AUCs, with intervals and counts.</summary>
    public static void WriteSummary(string path, OpacityEvaluation e)
    {
        var rows = new List<string[]>();
        foreach (var (side, metrics) in e.GradeAgreement)
            foreach (var m in metrics)
                rows.Add(["grade_vs_reader1", m.Name, side, CsvText.Number(m.Value), CsvText.Number(m.Low), CsvText.Number(m.High), CsvOutput.Integer(e.Images.Count)]);
        if (e.Dice is { } d) rows.Add(["segmentation", "dice", "", CsvText.Number(d.Estimate), CsvText.Number(d.Low), CsvText.Number(d.High), CsvOutput.Integer(e.Images.Count(i => i.Dice.HasValue))]);
        foreach (var o in e.Outcomes)
            rows.Add(["outcome_auc", o.Column, "", CsvText.Number(o.Auc.Estimate), CsvText.Number(o.Auc.Low), CsvText.Number(o.Auc.High), CsvOutput.Integer(o.Positives + o.Negatives)]);
        CsvOutput.Write(path, ["kind", "name", "side", "value", "ci_low", "ci_high", "n"], rows);
    }

    public static void WriteImages(string path, IEnumerable<OpacityImage> images)
    {
        CsvOutput.Write(path, ["image_id", "left_fraction", "right_fraction", "percent_of_lungs", "left_grade", "right_grade", "dice"],
            images.Select(i => new[]
            {
                i.ImageId, CsvText.Number(i.Measure.LeftFraction), CsvText.Number(i.Measure.RightFraction), CsvText.Number(i.Measure.PercentOfLungs),
                double.IsNaN(i.Measure.LeftFraction) ? "" : i.Measure.LeftGrade.ToString(CultureInfo.InvariantCulture),
                double.IsNaN(i.Measure.RightFraction) ? "" : i.Measure.RightGrade.ToString(CultureInfo.InvariantCulture), i.Dice is { } d ? CsvText.Number(d) : "",
            }));
    }
}
