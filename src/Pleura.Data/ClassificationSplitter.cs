namespace Pleura.Data;

/// <summary>
/// Makes <see cref="ClassificationSplit"/>s: all images of a patient share one part; patients are stratified by their
/// most frequent class (ties: the class name first in ordinal order), shuffled within the stratum from the seed; the first
/// quarter (at least one patient) goes to test, the rest are dealt round the cross-validation groups. A class with fewer
/// patients than one test patient plus one per group is refused with every class's counts, because a fold without it
/// could neither train nor choose a cut-off for it.
/// </summary>
public static class ClassificationSplitter
{
    public static ClassificationSplit Split(IReadOnlyList<ClassifiedImage> images, double testFraction = 0.25, int folds = 5, int seed = 42)
    {
        if (testFraction <= 0 || testFraction >= 1) throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "must lie in (0, 1)");
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), folds, "cross-validation needs at least 2 folds");
        var blank = images.Select((x, i) => (x, i)).Where(p => string.IsNullOrWhiteSpace(p.x.Patient) || string.IsNullOrWhiteSpace(p.x.Class)).ToList();
        if (blank.Count > 0) throw new InvalidDataException($"{blank.Count} image(s) have no patient or no class (first: {blank[0].x.ImageId})");
        var duplicate = images.GroupBy(x => x.ImageId, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"image '{duplicate.Key}' is listed {duplicate.Count()} times");

        var patients = images.GroupBy(x => x.Patient, StringComparer.Ordinal)
            .Select(g => (Id: g.Key, Stratum: g.GroupBy(x => x.Class).OrderByDescending(c => c.Count()).ThenBy(c => c.Key, StringComparer.Ordinal).First().Key))
            .OrderBy(p => p.Id, StringComparer.Ordinal).ToList();
        var strata = patients.GroupBy(p => p.Stratum).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        CheckCounts(images, strata.ToDictionary(g => g.Key, g => g.Count()), folds);

        var random = new Random(seed);
        var group = new Dictionary<string, int>(StringComparer.Ordinal);
        int next = random.Next(folds);
        foreach (var stratum in strata)
        {
            var shuffled = stratum.Select(p => p.Id).ToList();
            for (int i = shuffled.Count - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (shuffled[i], shuffled[j]) = (shuffled[j], shuffled[i]);
            }
            int test = Math.Max(1, (int)Math.Round(shuffled.Count * testFraction, MidpointRounding.AwayFromZero));
            for (int i = 0; i < shuffled.Count; i++)
                // The deal continues across strata so the groups stay within one patient of each other overall.
                group[shuffled[i]] = i < test ? 0 : 1 + next++ % folds;
        }
        return new ClassificationSplit(seed, testFraction, folds,
            images.Select(x => new ClassificationAssignment(x.ImageId, x.Patient, x.Class, group[x.Patient])).ToList());
    }

    static void CheckCounts(IReadOnlyList<ClassifiedImage> images, Dictionary<string, int> patientsByStratum, int folds)
    {
        var classes = images.Select(x => x.Class).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToList();
        string Counts() => string.Join(", ", classes.Select(c =>
            $"{c} {patientsByStratum.GetValueOrDefault(c)} patients ({images.Count(x => x.Class == c)} images)"));
        if (classes.Count < 2) throw new InvalidDataException($"a classifier needs at least two classes; found {Counts()}");
        int needed = folds + 1;
        var few = classes.Where(c => patientsByStratum.GetValueOrDefault(c) < needed).ToList();
        if (few.Count > 0)
            throw new InvalidDataException($"too few patients of class {string.Join(", ", few.Select(c => $"'{c}'"))} for a test part and {folds}-fold cross-validation: " +
                                           $"every class needs at least {needed} patients whose images are mostly of it; counts: {Counts()}");
    }
}
