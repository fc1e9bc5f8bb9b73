namespace Pleura.Data;

/// <summary>
/// The per-lung opacity grade of METHOD section 1: 0 clear (no opacity), 1 mild (up to a third of the lung),
/// 2 moderate (up to two thirds), 3 severe (more).
/// </summary>
public static class OpacityGrade
{
    public const int Count = 4;
    public static readonly IReadOnlyList<string> Names = new[] { "clear", "mild", "moderate", "severe" };

    /// <summary>Grade of an opaque fraction of a lung's area (0..1).</summary>
    public static int FromFraction(double fraction)
    {
        if (double.IsNaN(fraction) || fraction < 0 || fraction > 1) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "a fraction must lie in [0, 1]");
        if (fraction == 0) return 0;
        if (fraction <= 1.0 / 3) return 1;
        if (fraction <= 2.0 / 3) return 2;
        return 3;
    }
}
