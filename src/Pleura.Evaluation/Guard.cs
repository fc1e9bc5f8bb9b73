namespace Pleura.Evaluation;

internal static class Guard
{
    public static void SameLength<TA, TB>(IReadOnlyList<TA> a, IReadOnlyList<TB> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"truth has {a.Count} values but predictions have {b.Count}");
    }

    public static void InRange(int label, int classCount, string what, int index)
    {
        if (label < 0 || label >= classCount)
            throw new ArgumentOutOfRangeException(what, label, $"{what} at position {index} is {label}, expected 0..{classCount - 1}");
    }
}
