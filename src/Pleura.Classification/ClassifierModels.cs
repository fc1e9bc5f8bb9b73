using Pleura.Datasets;
using Pleura.Imaging.Roi;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Training;
using static TorchSharp.torch;

namespace Pleura.Classification;

/// <summary>
/// A classifier run's fold models (`pleura classify train`), loaded once; together they answer with their mean class
/// probabilities. Not thread-safe: one caller at a time.
/// </summary>
public sealed class ClassifierModels : IDisposable
{
    readonly List<(nn.Module<Tensor, Tensor> Model, CheckpointInfo Info)> _models;

    ClassifierModels(List<(nn.Module<Tensor, Tensor>, CheckpointInfo)> models, ClassifierInputs inputs)
    {
        _models = models;
        Inputs = inputs;
    }

    public CheckpointInfo Info => _models[0].Info;
    public int Count => _models.Count;
    /// <summary>How images become the models' inputs: whole, or both lungs cut as in training.</summary>
    public ClassifierInputs Inputs { get; }

    /// <summary>The checkpoint metric that names the lung U-Net a lung-ROI classifier was trained with.</summary>
    public const string LungModelMetric = "lung_model";

    /// <summary>fold1/, fold2/, ... in order, as many as the run has.</summary>
    /// <param name="lungModel">The lung U-Net for a run trained on a lung ROI; default: the one it was trained with.</param>
    public static ClassifierModels Load(string runFolder, bool bfloat16, string? lungModel = null)
    {
        ClassifierRun.RequireComplete(runFolder);
        var models = Enumerable.Range(1, 99).Select(f => ClassifierRun.CheckpointPath(runFolder, f)).TakeWhile(File.Exists)
            .Select(path => Checkpoint.LoadForInference(path, bfloat16)).ToList();
        if (models.Count == 0)
            throw new FileNotFoundException($"{runFolder}: no fold models (fold1/model.safetensors ...); train the classifier first (`pleura classify train`)");
        var info = models[0].Info;
        try
        {
            var roi = RoiSchemes.Parse(info.Roi);
            var trainedWith = info.Metrics?[LungModelMetric]?.GetValue<string>();
            if (roi != RoiScheme.None && lungModel is null && trainedWith is not null && !File.Exists(trainedWith))
                throw new FileNotFoundException($"{runFolder} was trained on the lungs cut by {trainedWith}, which is gone: give the lung U-Net with --lungs");
            return new ClassifierModels(models, ClassifierInputs.Create(roi, info.InputSize, lungModel ?? trainedWith));
        }
        catch
        {
            foreach (var (model, _) in models) model.Dispose();
            throw;
        }
    }

    /// <summary>The mean class probabilities of images read at <see cref="ClassifierInputs.ReadSize"/>², made into inputs here.</summary>
    public double[][] MeanProbabilities(IReadOnlyList<float[]> images)
    {
        var inputs = Inputs.Make(images);
        using var set = LabelledImages.FromPixels(inputs.Select(i => i.Pixels).ToList(), Info.InputSize, inputs.Select(_ => 0).ToList());
        return MeanProbabilities(set);
    }

    public double[][] MeanProbabilities(LabelledImages set)
    {
        var mean = new double[set.Count][];
        foreach (var (model, info) in _models)
        {
            var p = CheckpointScoring.Probabilities(model, set.Images, info); // with the run's test-time augmentation, as training scored it
            for (int k = 0; k < p.Length; k++)
            {
                mean[k] ??= new double[info.Classes.Count];
                for (int c = 0; c < mean[k].Length; c++) mean[k][c] += p[k][c] / _models.Count;
            }
        }
        return mean;
    }

    /// <summary>
    /// One image (grey, <see cref="CheckpointInfo.InputSize"/>², in [0, 1]) explained: the fold models' mean class
    /// probabilities and the mean of their Grad-CAM heatmaps (each weighted by its own class probabilities, METHOD
    /// section 8), at the input size.
    /// </summary>
    public (double[] Probabilities, float[] Heatmap) Explain(float[] pixels)
    {
        var explained = _models.Select(m => Pleura.Explainability.SideHeatmap.Explain("", m.Model, Pleura.Explainability.GradCam.DefaultLayer(m.Info.Architecture),
            new[] { pixels }, m.Info.InputSize, m.Info.InputChannels, m.Info.Recipe)[0]).ToList();
        var probabilities = new double[Info.Classes.Count];
        foreach (var e in explained)
            for (int c = 0; c < probabilities.Length; c++) probabilities[c] += e.Probabilities[c] / explained.Count;
        return (probabilities, Pleura.Explainability.SideHeatmap.WholeImage(explained));
    }

    public void Dispose()
    {
        foreach (var (model, _) in _models) model.Dispose();
        Inputs.Dispose();
    }
}
