namespace Pleura.Evaluation;

/// <summary>Counts of (true class, predicted class) pairs; rows are truths, columns predictions.</summary>
public sealed class ConfusionMatrix
{
    readonly int[,] _counts;

    public ConfusionMatrix(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classCount)
    {
        Guard.SameLength(truth, predicted);
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "at least two classes");
        ClassCount = classCount;
        _counts = new int[classCount, classCount];
        for (int i = 0; i < truth.Count; i++)
        {
            Guard.InRange(truth[i], classCount, "true label", i);
            Guard.InRange(predicted[i], classCount, "predicted label", i);
            _counts[truth[i], predicted[i]]++;
        }
        Total = truth.Count;
    }

    public int ClassCount { get; }
    public int Total { get; }
    public int this[int truth, int predicted] => _counts[truth, predicted];

    public int TrueCount(int c)
    {
        int n = 0;
        for (int p = 0; p < ClassCount; p++) n += _counts[c, p];
        return n;
    }

    public int PredictedCount(int c)
    {
        int n = 0;
        for (int t = 0; t < ClassCount; t++) n += _counts[t, c];
        return n;
    }

    public int[][] ToRows() =>
        Enumerable.Range(0, ClassCount).Select(t => Enumerable.Range(0, ClassCount).Select(p => _counts[t, p]).ToArray()).ToArray();
}
