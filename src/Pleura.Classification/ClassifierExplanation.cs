using System.Globalization;
using Pleura.Data;
using Pleura.Explainability;
using Pleura.Files;
using Pleura.Imaging;

namespace Pleura.Classification;

/// <summary>One classifier image explained: its true class when known, the answer, and the overlay written.</summary>
public sealed record ExplainedClassification(string Image, string? Truth, string Predicted, IReadOnlyList<double> Probabilities, string Overlay);

/// <summary>
/// `pleura classify explain`: Grad-CAM overlays for an image-level classifier (the fold models' mean heatmap, METHOD
/// section 8), by default on the run's held-out test images, so a reader can see whether a view or pneumonia-type
/// model looks at the lungs or at labels, borders and burnt-in text (the confound the pneumonia study warns of).
/// </summary>
public static class ClassifierExplanation
{
    public static IReadOnlyList<ExplainedClassification> Run(string runFolder, IReadOnlyList<string>? images, string outputFolder, int limit,
        Action<int, int>? progress = null, string? lungModel = null)
    {
        using var models = ClassifierModels.Load(runFolder, bfloat16: false, lungModel);
        var info = models.Info;
        IReadOnlyList<(string Path, string? Truth)> chosen;
        if (images is { Count: > 0 }) chosen = images.Select(i => (i, (string?)null)).ToList();
        else
        {
            var splitPath = Path.Combine(runFolder, ClassifierRun.SplitFile);
            if (!File.Exists(splitPath)) throw new FileNotFoundException($"{runFolder}: no {ClassifierRun.SplitFile}; give images to explain", splitPath);
            // The test part, classes interleaved so that a small limit still shows every class.
            chosen = ClassificationSplit.Load(splitPath).Test.GroupBy(t => t.Class).OrderBy(g => g.Key, StringComparer.Ordinal)
                .SelectMany(g => g.Select((t, k) => (t, k))).OrderBy(x => x.k).ThenBy(x => x.t.Class, StringComparer.Ordinal)
                .Select(x => (x.t.ImageId, (string?)x.t.Class)).ToList();
        }
        chosen = chosen.Take(limit).ToList();
        Directory.CreateDirectory(outputFolder);
        var results = new List<ExplainedClassification>();
        foreach (var (path, truth) in chosen)
        {
            int size = models.Inputs.ReadSize;
            var image = RadiographReader.ReadResized(path, size, size);
            var input = models.Inputs.Make(new[] { image.Pixels })[0];
            var (probabilities, inputHeat) = models.Explain(input.Pixels);
            // The heatmap is drawn over the whole image: a lung-ROI model's map goes back where its cut came from.
            var heat = input.Cut.MapBackAtInputSize(inputHeat, info.InputSize);
            var picture = size == info.InputSize ? image.Pixels : Pleura.Imaging.Roi.Bilinear.Resize(image.Pixels, size, size, info.InputSize, info.InputSize);
            int best = Array.IndexOf(probabilities, probabilities.Max());
            // Numbered: images of different class folders may share a file name.
            var overlay = Path.Combine(outputFolder, "images", $"{results.Count + 1:000}-{FileNames.Safe(Path.GetFileNameWithoutExtension(path))}.png");
            var caption = new[]
            {
                Path.GetFileName(path),
                $"predicted {info.Classes[best]} (P {probabilities[best].ToString("0.000", CultureInfo.InvariantCulture)})" + (truth is null ? "" : $"   true {truth}"),
            };
            Overlay.Write(overlay, picture, heat, null, info.InputSize, caption);
            results.Add(new ExplainedClassification(path, truth, info.Classes[best], probabilities, overlay));
            progress?.Invoke(results.Count, chosen.Count);
        }
        CsvOutput.Write(Path.Combine(outputFolder, "explain.csv"), new[] { "image", "truth", "predicted" }.Concat(info.Classes.Select(c => "p_" + c)).Append("overlay"),
            results.Select(r => new[] { r.Image, r.Truth ?? "", r.Predicted }
                .Concat(r.Probabilities.Select(p => p.ToString("0.000000", CultureInfo.InvariantCulture))).Append(r.Overlay)));
        return results;
    }
}
