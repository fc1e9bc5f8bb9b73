namespace Pleura.Evaluation;

/// <summary>Overlap and surface-distance scores of one predicted mask against the reference.</summary>
public sealed record SegmentationScores(double Dice, double IoU, double Hausdorff95, double AverageSurfaceDistance);

/// <summary>
/// Segmentation metrics (issue 5, MONAI's conventions): Dice, IoU, and distances between the masks' boundaries
/// (boundary = mask pixels with a 4-neighbour outside the mask). Hausdorff-95 is the larger of the two directed 95th
/// percentiles (linear interpolation); the average surface distance is the mean of both directions' distances
/// together. Distances are in pixels times <c>spacing</c>. Both masks empty: Dice = IoU = 1, distances 0; exactly one
/// empty: distances are NaN (undefined).
/// </summary>
public static class SegmentationMetrics
{
    public static SegmentationScores Compute(ReadOnlySpan<bool> predicted, ReadOnlySpan<bool> reference, int width, int height, double spacing = 1)
    {
        if (predicted.Length != width * height || reference.Length != width * height)
            throw new ArgumentException($"masks must have {width}x{height} pixels (got {predicted.Length} and {reference.Length})");
        long both = 0, p = 0, r = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            if (predicted[i]) p++;
            if (reference[i]) r++;
            if (predicted[i] && reference[i]) both++;
        }
        if (p == 0 && r == 0) return new SegmentationScores(1, 1, 0, 0);
        double dice = 2.0 * both / (p + r), iou = (double)both / (p + r - both);
        if (p == 0 || r == 0) return new SegmentationScores(dice, iou, double.NaN, double.NaN);

        var predictedBoundary = Boundary(predicted, width, height);
        var referenceBoundary = Boundary(reference, width, height);
        var toReference = DistancesTo(predictedBoundary, referenceBoundary, width, height, spacing);
        var toPredicted = DistancesTo(referenceBoundary, predictedBoundary, width, height, spacing);
        double hd95 = Math.Max(Percentile(toReference, 95), Percentile(toPredicted, 95));
        double asd = (toReference.Sum() + toPredicted.Sum()) / (toReference.Length + toPredicted.Length);
        return new SegmentationScores(dice, iou, hd95, asd);
    }

    static bool[] Boundary(ReadOnlySpan<bool> mask, int width, int height)
    {
        var result = new bool[mask.Length];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                if (!mask[i]) continue;
                // Outside the image counts as background, as with scipy's binary_erosion (border_value = 0).
                result[i] = x == 0 || y == 0 || x == width - 1 || y == height - 1
                    || !mask[i - 1] || !mask[i + 1] || !mask[i - width] || !mask[i + width];
            }
        return result;
    }

    /// <summary>For every pixel of <paramref name="from"/>, the Euclidean distance to the nearest pixel of <paramref name="to"/>.</summary>
    static double[] DistancesTo(bool[] from, bool[] to, int width, int height, double spacing)
    {
        var squared = SquaredDistanceTransform(to, width, height);
        var result = new List<double>();
        for (int i = 0; i < from.Length; i++) if (from[i]) result.Add(Math.Sqrt(squared[i]) * spacing);
        return result.ToArray();
    }

    /// <summary>Exact squared Euclidean distance to the nearest set pixel (Felzenszwalb and Huttenlocher, rows then columns).</summary>
    static double[] SquaredDistanceTransform(bool[] sites, int width, int height)
    {
        const double infinity = 1e20;
        var grid = new double[sites.Length];
        for (int i = 0; i < sites.Length; i++) grid[i] = sites[i] ? 0 : infinity;
        var column = new double[height];
        var output = new double[Math.Max(width, height)];
        for (int x = 0; x < width; x++)
        {
            for (int y = 0; y < height; y++) column[y] = grid[y * width + x];
            Transform1D(column, height, output);
            for (int y = 0; y < height; y++) grid[y * width + x] = output[y];
        }
        var row = new double[width];
        for (int y = 0; y < height; y++)
        {
            Array.Copy(grid, y * width, row, 0, width);
            Transform1D(row, width, output);
            Array.Copy(output, 0, grid, y * width, width);
        }
        return grid;
    }

    static void Transform1D(double[] f, int n, double[] d)
    {
        var v = new int[n];
        var z = new double[n + 1];
        int k = 0;
        v[0] = 0;
        z[0] = double.NegativeInfinity;
        z[1] = double.PositiveInfinity;
        for (int q = 1; q < n; q++)
        {
            double s = ((f[q] + (double)q * q) - (f[v[k]] + (double)v[k] * v[k])) / (2.0 * q - 2.0 * v[k]);
            while (s <= z[k])
            {
                k--;
                s = ((f[q] + (double)q * q) - (f[v[k]] + (double)v[k] * v[k])) / (2.0 * q - 2.0 * v[k]);
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = double.PositiveInfinity;
        }
        k = 0;
        for (int q = 0; q < n; q++)
        {
            while (z[k + 1] < q) k++;
            d[q] = (double)(q - v[k]) * (q - v[k]) + f[v[k]];
        }
    }

    static double Percentile(double[] values, double percent)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return Bootstrap.Quantile(sorted, percent / 100);
    }
}
