namespace Pleura.Evaluation;

/// <summary>
/// A whole-image classifier scored the method's way (METHOD sections 1 and 7): per class one-vs-rest ROC, AUC with a
/// DeLong interval and sensitivity / specificity at the Youden cut-off chosen on validation; over all classes the
/// confusion matrix of the most probable class and its accuracy with a Clopper-Pearson interval.
/// </summary>
public sealed record ClassifierEvaluation(
    IReadOnlyList<string> Classes, int Count, IReadOnlyList<OneVsRestResult> PerClass, ConfusionMatrix Confusion, Proportion Accuracy)
{
    /// <summary>Mean of the per-class AUCs (scikit-learn's macro one-vs-rest AUC).</summary>
    public double MacroAuc => PerClass.Average(c => c.Auc.Auc);

    /// <param name="classes">Class names in label-number order.</param>
    /// <param name="validation">The part the cut-offs are chosen on (never the test part).</param>
    /// <param name="test">The part every reported figure comes from.</param>
    public static ClassifierEvaluation Compute(IReadOnlyList<string> classes, ScoredImages validation, ScoredImages test)
    {
        if (validation.ClassCount != classes.Count || test.ClassCount != classes.Count)
            throw new ArgumentException($"{classes.Count} class names but {validation.ClassCount} (validation) and {test.ClassCount} (test) probabilities per image");
        foreach (var (part, name) in new[] { (validation, "validation"), (test, "test") })
        {
            var absent = Enumerable.Range(0, classes.Count).Where(c => !part.Truth.Contains(c)).Select(c => classes[c]).ToList();
            if (absent.Count > 0 || part.Truth.Distinct().Count() < 2)
                throw new ArgumentException($"the {name} part has no images of {string.Join(", ", absent)}: a one-vs-rest ROC needs every class in both parts");
        }
        var perClass = classes.Select((name, c) => OneVsRestResult.Compute(name, c, validation, test)).ToList();
        var predicted = test.Predicted();
        var confusion = new ConfusionMatrix(test.Truth, predicted, classes.Count);
        int correct = predicted.Where((p, i) => p == test.Truth[i]).Count();
        return new ClassifierEvaluation(classes, test.Count, perClass, confusion, Proportion.Of(correct, test.Count));
    }
}
