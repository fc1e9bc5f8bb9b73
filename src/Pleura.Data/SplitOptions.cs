namespace Pleura.Data;

/// <summary>
/// How to split patients (METHOD section 4): an out-of-box set first, then folds of train/validation/test 80/10/10.
/// The non-OOB patients are dealt, stratum by stratum, into ten equal groups; fold f tests on group f and validates
/// on group f+1 (mod 10), so up to ten folds have disjoint test sets and every fold is 80/10/10.
/// Cross-validation over every patient deals them into as many groups as folds, with no OOB set: each patient is then
/// tested in exactly one fold.
/// </summary>
public sealed record SplitOptions
{
    public const int MethodGroups = 10;

    /// <summary>Groups the patients are dealt into (METHOD: ten); fold f tests on group f and validates on group f+1.</summary>
    public int Groups { get; init; } = MethodGroups;

    public int Seed { get; init; } = 42;
    public double OutOfBoxFraction { get; init; } = 0.1;
    public int Folds { get; init; } = 5;

    /// <summary>Grade columns whose per-patient maximum defines the stratum; null = every grade column.</summary>
    public IReadOnlyList<string>? StratifyBy { get; init; }

    public void Check()
    {
        if (OutOfBoxFraction < 0 || OutOfBoxFraction >= 1) throw new ArgumentOutOfRangeException(nameof(OutOfBoxFraction), OutOfBoxFraction, "must lie in [0, 1)");
        if (Groups < 3) throw new ArgumentOutOfRangeException(nameof(Groups), Groups, "need at least 3 groups (test, validation and training)");
        if (Folds < 1 || Folds > Groups) throw new ArgumentOutOfRangeException(nameof(Folds), Folds, $"must lie in 1..{Groups}");
    }
}
