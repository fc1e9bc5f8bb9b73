namespace Pleura.Evaluation;

/// <summary>
/// The Heatmap Concordance Score (METHOD section 8): the share of a model's attention that falls on the lungs.
/// Weighted form: sum(mask * H) / sum(H). Count form: non-zero heatmap pixels inside the mask / all non-zero pixels.
/// MA-HCS: the mean over true grades of the mean HCS of the images with that grade.
/// </summary>
public static class HeatmapConcordance
{
    /// <returns>NaN for an all-zero heatmap (no attention to place).</returns>
    public static double Weighted(ReadOnlySpan<float> heatmap, ReadOnlySpan<bool> mask)
    {
        Check(heatmap.Length, mask.Length);
        double inside = 0, total = 0;
        for (int i = 0; i < heatmap.Length; i++)
        {
            double h = Math.Max(0, heatmap[i]);
            total += h;
            if (mask[i]) inside += h;
        }
        return total == 0 ? double.NaN : inside / total;
    }

    public static double Count(ReadOnlySpan<float> heatmap, ReadOnlySpan<bool> mask, float threshold = 0)
    {
        Check(heatmap.Length, mask.Length);
        int inside = 0, total = 0;
        for (int i = 0; i < heatmap.Length; i++)
        {
            if (heatmap[i] <= threshold) continue;
            total++;
            if (mask[i]) inside++;
        }
        return total == 0 ? double.NaN : (double)inside / total;
    }

    /// <summary>Mean over the grades present of the mean score per grade (undefined scores are left out).</summary>
    public static double MacroAveraged(IEnumerable<(int Grade, double Score)> scores)
    {
        var groups = scores.Where(s => !double.IsNaN(s.Score)).GroupBy(s => s.Grade).Select(g => g.Average(s => s.Score)).ToList();
        return groups.Count == 0 ? double.NaN : groups.Average();
    }

    static void Check(int heat, int mask)
    {
        if (heat != mask) throw new ArgumentException($"heatmap has {heat} pixels but the mask {mask}");
    }
}
