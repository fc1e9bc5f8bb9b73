namespace Pleura.Data;

/// <summary>
/// Makes patient-level splits: no patient is ever in two parts of a fold, nor in both the OOB set and a fold.
/// Deterministic from the seed; stratified by each patient's highest grade where the manifest has grades.
/// </summary>
public static class PatientSplitter
{
    public static SplitPlan Split(Manifest manifest, SplitOptions options)
    {
        options.Check();
        var stratifyBy = (options.StratifyBy ?? manifest.GradeColumns.ToList()).ToList();
        var missingPatient = manifest.Rows.Where(r => string.IsNullOrWhiteSpace(r.PatientId)).ToList();
        if (missingPatient.Count > 0)
            throw new InvalidDataException($"{missingPatient.Count} image(s) have no patient id (first: line {missingPatient[0].SourceLine}, {missingPatient[0].ImageId}); " +
                                           "fix the manifest or map the patient column before splitting");

        var patients = manifest.Rows
            .GroupBy(r => r.PatientId, StringComparer.Ordinal)
            .Select(g => (Id: g.Key, Images: g.Select(r => r.ImageId).ToList(),
                Stratum: g.SelectMany(r => stratifyBy.Select(c => Manifest.Grade(r, c) ?? -1)).DefaultIfEmpty(-1).Max()))
            .OrderBy(p => p.Id, StringComparer.Ordinal)
            .ToList();

        var random = new Random(options.Seed);
        // Shuffle within each stratum, then lay strata end to end: dealing positions in this order spreads every
        // stratum evenly over the OOB set and the ten groups.
        var ordered = patients
            .GroupBy(p => p.Stratum)
            .OrderBy(g => g.Key)
            .SelectMany(g => Shuffle(g.ToList(), random))
            .ToList();

        var oob = new HashSet<string>(StringComparer.Ordinal);
        double f = options.OutOfBoxFraction;
        double offset = random.NextDouble();
        for (int i = 0; i < ordered.Count; i++)
        {
            // Systematic sampling: take patient i when the running quota crosses an integer.
            if (Math.Floor((i + 1) * f + offset) > Math.Floor(i * f + offset)) oob.Add(ordered[i].Id);
        }

        var group = new Dictionary<string, int>(StringComparer.Ordinal);
        int start = random.Next(options.Groups), k = 0;
        foreach (var p in ordered.Where(p => !oob.Contains(p.Id)))
            group[p.Id] = (start + k++) % options.Groups;

        var assignments = patients.Select(p =>
        {
            if (oob.Contains(p.Id))
                return new PatientAssignment(p.Id, p.Stratum, true, Enumerable.Repeat(SplitPart.OutOfBox, options.Folds).ToList(), p.Images);
            var folds = Enumerable.Range(0, options.Folds).Select(fold => PartFor(group[p.Id], fold, options.Groups)).ToList();
            return new PatientAssignment(p.Id, p.Stratum, false, folds, p.Images);
        }).ToList();

        return new SplitPlan
        {
            Seed = options.Seed,
            OutOfBoxFraction = options.OutOfBoxFraction,
            FoldCount = options.Folds,
            StratifiedBy = stratifyBy,
            ManifestFingerprint = manifest.Fingerprint(),
            Patients = assignments,
        };
    }

    /// <summary>Fold f (0-based) tests on group f and validates on group f+1.</summary>
    static SplitPart PartFor(int group, int fold, int groups) =>
        group == fold ? SplitPart.Test
        : group == (fold + 1) % groups ? SplitPart.Validation
        : SplitPart.Train;

    static List<T> Shuffle<T>(List<T> items, Random random)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
        return items;
    }
}
