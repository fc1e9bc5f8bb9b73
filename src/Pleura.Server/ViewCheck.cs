using Pleura.Classification;
using Pleura.Imaging;
using Pleura.Networks.Weights;
using Pleura.Training;

namespace Pleura.Server;

/// <summary>The view classifier's answer for one image: the probability that it is frontal.</summary>
public sealed record ViewAnswer(double FrontalProbability, bool Frontal);

/// <summary>
/// Checks that an image is a frontal radiograph before it is graded, with a view classifier run (`pleura classify
/// train` with a class named frontal, e.g. frontal vs lateral): the grader was trained on frontal images only, so a
/// lateral one is refused with the probability rather than given a grade that means nothing.
/// </summary>
public sealed class ViewCheck : IDisposable
{
    readonly ClassifierModels _models;

    ViewCheck(ClassifierModels models, int frontal)
    {
        _models = models;
        FrontalIndex = frontal;
    }

    public CheckpointInfo Info => _models.Info;
    public int FoldModels => _models.Count;
    public int FrontalIndex { get; }
    public string FrontalClass => Info.Classes[FrontalIndex];

    public static ViewCheck Load(string runFolder, bool bfloat16)
    {
        var models = ClassifierModels.Load(runFolder, bfloat16);
        int frontal = models.Info.Classes.ToList().FindIndex(c => c.Equals("frontal", StringComparison.OrdinalIgnoreCase));
        if (models.Inputs.Roi != Pleura.Imaging.Roi.RoiScheme.None)
        {
            models.Dispose();
            throw new InvalidDataException($"{runFolder}: a view check reads the whole image; this classifier was trained on a lung ROI (a lateral view has no two lungs to cut)");
        }
        if (frontal < 0)
        {
            var classes = string.Join(", ", models.Info.Classes);
            models.Dispose();
            throw new InvalidDataException($"{runFolder}: a view check needs a classifier with a class named 'frontal'; this one has {classes}");
        }
        return new ViewCheck(models, frontal);
    }

    /// <summary>Classifies images read at the classifier's input size (not thread-safe: the batch worker calls it).</summary>
    public IReadOnlyList<ViewAnswer> Check(IReadOnlyList<GreyImage> images)
    {
        using var set = LabelledImages.FromPixels(images.Select(i => i.Pixels).ToList(), Info.InputSize, images.Select(_ => 0).ToList());
        return _models.MeanProbabilities(set).Select(p => new ViewAnswer(p[FrontalIndex], p[FrontalIndex] >= 0.5)).ToList();
    }

    public void Dispose() => _models.Dispose();
}
