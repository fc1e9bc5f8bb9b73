namespace Pleura.Evaluation;

/// <summary>
/// Two classifiers on the same test images (e.g. whole image vs segmented lungs, scratch vs pretrained): per class
/// DeLong's test of the one-vs-rest AUC difference (B − A), and McNemar's exact test of their accuracy (most probable
/// class). Pairing by image uses that both models met the same hard and easy cases, which two separate intervals ignore.
/// </summary>
public sealed record PairedClassifierComparison(
    IReadOnlyList<string> Classes, IReadOnlyList<AucDifference> AucPerClass, Proportion AccuracyA, Proportion AccuracyB, McNemarTest Accuracy)
{
    public static PairedClassifierComparison Compare(IReadOnlyList<string> classes, ScoredImages a, ScoredImages b)
    {
        if (a.Count != b.Count || !a.Truth.SequenceEqual(b.Truth))
            throw new ArgumentException("a paired comparison needs both models scored on the same images with the same truth, in the same order");
        if (a.ClassCount != classes.Count || b.ClassCount != classes.Count)
            throw new ArgumentException($"{classes.Count} class names but {a.ClassCount} and {b.ClassCount} probabilities per image");
        var auc = Enumerable.Range(0, classes.Count).Select(c => DeLong.Compare(a.IsClass(c), a.Scores(c), b.Scores(c))).ToList();
        var predictedA = a.Predicted();
        var predictedB = b.Predicted();
        var rightA = predictedA.Select((p, i) => p == a.Truth[i]).ToArray();
        var rightB = predictedB.Select((p, i) => p == b.Truth[i]).ToArray();
        return new PairedClassifierComparison(classes, auc, Proportion.Of(rightA.Count(r => r), a.Count), Proportion.Of(rightB.Count(r => r), b.Count),
            McNemarTest.Exact(rightA, rightB));
    }
}
