using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Imaging;

namespace Pleura.Classification;

/// <summary>Which confound features a baseline sees, by name (a subset of <see cref="ConfoundFeatures.Names"/>).</summary>
public sealed record ConfoundFeatureSet(string Name, string Description, IReadOnlyList<string> Features)
{
    public static readonly IReadOnlyList<ConfoundFeatureSet> Standard = new ConfoundFeatureSet[]
    {
        new("all", "size, aspect ratio, intensity histogram moments and quantiles, border strip", ConfoundFeatures.Names),
        new("intensity", "intensity histogram moments and quantiles only (no size, no border)", ConfoundFeatures.IntensityNames),
        new("border", "the border strip only (5% of the shorter side on every edge)", ConfoundFeatures.BorderNames),
        new("size", "stored width, height, aspect ratio and pixel count only", ConfoundFeatures.SizeNames),
    };
}

/// <summary>One baseline's result: the evaluation on the test part, the scores behind it, and the chosen penalty.</summary>
public sealed record ConfoundBaselineResult(ConfoundFeatureSet FeatureSet, ClassifierEvaluation Evaluation, ScoredImages Validation, ScoredImages Test, double LambdaPerRow);

/// <summary>The features of the readable images of a labelled set, and the files that could not be read.</summary>
public sealed record ConfoundTable(IReadOnlyList<LabelledItem> Items, IReadOnlyList<double[]> Features, IReadOnlyList<ImageFailure> Failures);

/// <summary>
/// The confound baseline of issue 15: a multinomial logistic model (<see cref="SoftmaxRegression"/>) on image statistics
/// that say where and from whom an image came (<see cref="ConfoundFeatures"/>), never on the lungs, scored exactly as a
/// CNN would be: the method's patient-level 75/25 split, the penalty chosen by 5-fold cross-validated log loss on the 75%,
/// the out-of-fold probabilities as the validation part (Youden cut-offs), the model refitted on the whole 75% and
/// scored once on the 25%. A CNN's AUC near this baseline's shows nothing about pneumonia.
/// </summary>
public static class ConfoundBaseline
{
    /// <summary>Reads every image at its stored size and keeps only its features (a full-size image set would not fit in memory).</summary>
    public static ConfoundTable Features(IReadOnlyList<LabelledItem> items, int threads = 2, CancellationToken cancel = default)
    {
        var features = new double[]?[items.Count];
        var failures = new ImageFailure?[items.Count];
        Parallel.For(0, items.Count, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancel }, i =>
        {
            try { features[i] = ConfoundFeatures.Of(RadiographReader.Read(items[i].Path)); }
            catch (ImageReadException e) { failures[i] = new ImageFailure(e.Path, e.Reason); }
        });
        var kept = Enumerable.Range(0, items.Count).Where(i => features[i] is not null).ToList();
        return new ConfoundTable(kept.Select(i => items[i]).ToList(), kept.Select(i => features[i]!).ToList(), failures.OfType<ImageFailure>().ToList());
    }

    public static IReadOnlyList<ConfoundBaselineResult> Run(ConfoundTable table, IReadOnlyList<string> classes, IReadOnlyList<ConfoundFeatureSet>? sets = null,
        int seed = 42, int folds = 5, double testFraction = 0.25)
    {
        var split = ClassificationSplitter.Split(table.Items.Select(i => new ClassifiedImage(i.Path, i.Patient, i.Class)).ToList(), testFraction, folds, seed);
        var index = table.Items.Select((item, i) => (item.Path, i)).ToDictionary(x => x.Path, x => x.i, StringComparer.Ordinal);
        var labels = table.Items.Select(i => IndexOf(classes, i.Class)).ToArray();
        return (sets ?? ConfoundFeatureSet.Standard).Select(set =>
        {
            var columns = set.Features.Select(f => IndexOf(ConfoundFeatures.Names, f)).ToArray();
            double[] Row(int i) => columns.Select(c => table.Features[i][c]).ToArray();
            return Evaluate(set, split, index, Row, labels, classes);
        }).ToList();
    }

    static ConfoundBaselineResult Evaluate(ConfoundFeatureSet set, ClassificationSplit split, Dictionary<string, int> index, Func<int, double[]> row,
        int[] labels, IReadOnlyList<string> classes)
    {
        var development = split.Development.Select(a => index[a.ImageId]).ToList();
        var test = split.Test.Select(a => index[a.ImageId]).ToList();
        // Out-of-fold probabilities for every strength; the strength with the lowest total log loss wins (ties: stronger).
        (double Lambda, Dictionary<int, double[]> OutOfFold)? best = null;
        double bestLoss = double.MaxValue;
        foreach (var strength in SoftmaxRegression.Strengths.Reverse())
        {
            var outOfFold = new Dictionary<int, double[]>();
            for (int f = 1; f <= split.Folds; f++)
            {
                var (train, validation) = split.Fold(f);
                var trainRows = train.Select(a => index[a.ImageId]).ToList();
                var model = SoftmaxRegression.Fit(trainRows.Select(row).ToList(), trainRows.Select(i => labels[i]).ToList(), classes.Count, strength * trainRows.Count);
                foreach (var a in validation) outOfFold[index[a.ImageId]] = model.Probabilities(row(index[a.ImageId]));
            }
            double loss = outOfFold.Sum(p => -Math.Log(Math.Max(1e-300, p.Value[labels[p.Key]])));
            if (loss < bestLoss - 1e-9) { bestLoss = loss; best = (strength, outOfFold); }
        }
        var (lambda, oof) = best!.Value;
        var final = SoftmaxRegression.Fit(development.Select(row).ToList(), development.Select(i => labels[i]).ToList(), classes.Count, lambda * development.Count);
        var validationScores = new ScoredImages(development.Select(i => labels[i]).ToList(), development.Select(i => (IReadOnlyList<double>)oof[i]).ToList(), classes.Count);
        var testScores = new ScoredImages(test.Select(i => labels[i]).ToList(), test.Select(i => (IReadOnlyList<double>)final.Probabilities(row(i))).ToList(), classes.Count);
        return new ConfoundBaselineResult(set, ClassifierEvaluation.Compute(classes, validationScores, testScores), validationScores, testScores, lambda);
    }

    static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == name) return i;
        throw new ArgumentException($"'{name}' is not one of {string.Join(", ", names)}");
    }
}
