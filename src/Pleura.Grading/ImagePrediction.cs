using Pleura.Imaging;
using Pleura.Networks;

namespace Pleura.Grading;

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

    /// <summary>
    /// Grades <paramref name="files"/>; with <paramref name="allowIncomplete"/> an incomplete run answers for its finished
    /// lung and <c>Unfinished</c> names the other (for every output to say so), otherwise it is refused.
    /// </summary>
    public static (IReadOnlyList<GradePrediction> Predictions, IReadOnlyList<ImageFailure> Failures, IReadOnlyList<string> Unfinished) Predict(
        string runFolder, IReadOnlyList<string> files, bool bfloat16 = false, ErrorPolicy policy = ErrorPolicy.Continue, string? lungModel = null,
        bool allowIncomplete = false)
    {
        using var models = GradingModels.Load(runFolder, bfloat16, lungModel, allowIncomplete);
        // Each file is decoded once per size the run needs and serves both sides.
        var (decoded, failures) = models.DecodeAll(files, policy);
        var graded = models.Grade(decoded);
        var noRoi = graded.Where(g => g.Failure is not null).Select(g => new ImageFailure(g.Id, g.Failure!));
        var order = files.Select((f, i) => (f, i)).GroupBy(x => x.f).ToDictionary(g => g.Key, g => g.First().i);
        var predictions = graded.SelectMany(g => g.Sides).OrderBy(p => order[p.ImageId]).ThenBy(p => p.Side).ToList();
        return (predictions, failures.Concat(noRoi).DistinctBy(f => f.Path).ToList(), models.Unfinished);
    }
}
