using Pleura.Evaluation;
using Pleura.Imaging;

namespace Pleura.Classification;

/// <summary>A classifier's accuracy on one transform of the test images, and McNemar's exact test against the originals.</summary>
public sealed record TransformAccuracy(string Transform, string Description, Proportion Accuracy, McNemarTest AgainstOriginal);

/// <summary>
/// Issue 15's robustness set: the same test images, each transformed (<see cref="RobustnessTransforms"/>), classified
/// again. Accuracy per transform with a Clopper-Pearson interval, paired with the untransformed images by McNemar's exact
/// test, since the same images are classified twice and two separate intervals would hide a consistent drop.
/// </summary>
public static class RobustnessEvaluation
{
    public const string Original = "original";

    /// <param name="classify">The classifier's decision for one image (its own resizing and input recipe inside).</param>
    /// <returns>The originals first, then one row per transform.</returns>
    public static IReadOnlyList<TransformAccuracy> Run(IReadOnlyList<GreyImage> images, IReadOnlyList<int> truth, Func<GreyImage, int> classify,
        IReadOnlyList<RobustnessTransform>? transforms = null)
    {
        if (images.Count != truth.Count) throw new ArgumentException($"{images.Count} images but {truth.Count} true classes");
        if (images.Count == 0) throw new ArgumentException("no test images");
        bool[] Correct(Func<GreyImage, GreyImage> transform) => images.Select((image, i) => classify(transform(image)) == truth[i]).ToArray();
        var original = Correct(image => image);
        var rows = new List<TransformAccuracy>
        {
            new(Original, "as stored", Proportion.Of(original.Count(c => c), original.Length), McNemarTest.Exact(original, original)),
        };
        foreach (var t in transforms ?? RobustnessTransforms.All)
        {
            var correct = Correct(t.Apply);
            rows.Add(new TransformAccuracy(t.Name, t.Description, Proportion.Of(correct.Count(c => c), correct.Length), McNemarTest.Exact(original, correct)));
        }
        return rows;
    }
}
