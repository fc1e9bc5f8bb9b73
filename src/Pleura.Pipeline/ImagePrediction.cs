using Pleura.Imaging;
using Pleura.Networks;

namespace Pleura.Pipeline;

/// <summary>`pleura predict`: grades image files (no labels needed) with a run's left and right models.</summary>
public static class ImagePrediction
{
    /// <summary>
    /// Expands folders into their image files (sorted; DICOM included, see <see cref="RadiographReader.ImageFiles"/>);
    /// plain files are kept as given. A file named twice (itself and
    /// through its folder) is graded once.
    /// </summary>
    public static List<string> ExpandInputs(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            if (!Directory.Exists(input)) { if (seen.Add(Path.GetFullPath(input))) files.Add(input); continue; }
            var found = RadiographReader.ImageFiles(input, recursive: true);
            files.AddRange(found.Where(f => seen.Add(Path.GetFullPath(f))));
        }
        return files;
    }

    public static (IReadOnlyList<GradePrediction> Predictions, IReadOnlyList<ImageFailure> Failures) Predict(
        string runFolder, IReadOnlyList<string> files, bool bfloat16 = false, ErrorPolicy policy = ErrorPolicy.Continue)
    {
        var predictions = new List<GradePrediction>();
        var failures = new List<ImageFailure>();
        // The files are decoded once per input size and serve both sides.
        var reads = new Dictionary<int, ImageTensors>();
        try
        {
            foreach (var side in Side.Both)
            {
                var path = GradingRun.CheckpointPath(runFolder, side);
                if (!File.Exists(path)) continue;
                var (model, info) = CheckpointEvaluation.LoadForInference(path, bfloat16);
                if (info.Roi != "none")
                    throw new InvalidDataException($"{path} was trained on ROI '{info.Roi}', which needs lung masks: score it with `pleura evaluate` and a manifest with lung mask columns");
                if (!reads.TryGetValue(info.InputSize, out var read))
                {
                    read = reads[info.InputSize] = ImageTensors.Read(files, info.InputSize, policy);
                    failures.AddRange(read.Failures);
                }
                if (read.Readable.Count == 0) continue;
                var probabilities = Pleura.Training.TestTimeAugmentation.Probabilities(model, read.Images.Images, info.InputChannels, info.Recipe, info.TestTimeAugmentations);
                predictions.AddRange(read.Readable.Select((i, k) => new GradePrediction(files[i], side.Name, null, info.Decision.Decide(probabilities[k]), probabilities[k])));
            }
        }
        finally
        {
            foreach (var read in reads.Values) read.Dispose();
        }
        var order = files.Select((f, i) => (f, i)).GroupBy(x => x.f).ToDictionary(g => g.Key, g => g.First().i);
        if (predictions.Count == 0 && failures.Count == 0) throw new FileNotFoundException($"{runFolder}: no left/model.safetensors or right/model.safetensors");
        return (predictions.OrderBy(p => order[p.ImageId]).ThenBy(p => p.Side).ToList(), failures.DistinctBy(f => f.Path).ToList());
    }
}
