namespace Pleura.Evaluation;

/// <summary>
/// A classifier's output on one part of a split: per image the true class number and one probability per class. Checked
/// once here so every metric downstream can rely on the shape.
/// </summary>
public sealed record ScoredImages
{
    public ScoredImages(IReadOnlyList<int> truth, IReadOnlyList<IReadOnlyList<double>> probabilities, int classCount)
    {
        Guard.SameLength(truth, probabilities);
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "at least two classes");
        for (int i = 0; i < truth.Count; i++)
        {
            Guard.InRange(truth[i], classCount, "true class", i);
            if (probabilities[i].Count != classCount)
                throw new ArgumentException($"image {i} has {probabilities[i].Count} probabilities, expected one per class ({classCount})");
            if (probabilities[i].Any(double.IsNaN)) throw new ArgumentException($"image {i} has a NaN probability");
        }
        Truth = truth;
        Probabilities = probabilities;
        ClassCount = classCount;
    }

    public IReadOnlyList<int> Truth { get; }
    public IReadOnlyList<IReadOnlyList<double>> Probabilities { get; }
    public int ClassCount { get; }
    public int Count => Truth.Count;

    /// <summary>One-vs-rest truth for class <paramref name="c"/>: 1 where the image is of that class.</summary>
    public int[] IsClass(int c) => Truth.Select(t => t == c ? 1 : 0).ToArray();

    /// <summary>P(class c) per image.</summary>
    public double[] Scores(int c) => Probabilities.Select(p => p[c]).ToArray();

    /// <summary>The most probable class per image (ties to the lower class number, as numpy's argmax).</summary>
    public int[] Predicted() => Probabilities.Select(p =>
    {
        int best = 0;
        for (int c = 1; c < p.Count; c++) if (p[c] > p[best]) best = c;
        return best;
    }).ToArray();
}
