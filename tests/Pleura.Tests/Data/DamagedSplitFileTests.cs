using Pleura.Data;

namespace Pleura.Tests.Data;

/// <summary>
/// Split files damaged the ways the mutation properties found (Robustness/MutationProperties): each was read and then
/// crashed the command that used it (a null, a missing key, an index out of range); each is now refused naming the
/// file and what is wrong with it.
/// </summary>
public class DamagedSplitFileTests
{
    static Manifest MakeManifest() => new(
        Enumerable.Range(0, 30).Select(i => new ManifestRow
        {
            ImageId = $"img{i}", Path = $"img{i}.png", PatientId = $"pt{i / 2}", SourceLine = i + 2,
            Extra = new Dictionary<string, string> { ["left_grade"] = (i % 4).ToString(System.Globalization.CultureInfo.InvariantCulture) },
        }).ToList(), new[] { "left_grade" }, "/data");

    /// <summary>A valid split of <see cref="MakeManifest"/> saved, its text changed by <paramref name="damage"/>, and loaded and bound to the manifest as `train` does.</summary>
    static InvalidDataException Refusal(Func<string, string> damage)
    {
        using var folder = new TempFolder();
        var manifest = MakeManifest();
        var path = folder.File("split.json");
        PatientSplitter.Split(manifest, new SplitOptions { Folds = 3, Seed = 5 }).Save(path);
        var text = File.ReadAllText(path);
        var damaged = damage(text);
        Assert.NotEqual(text, damaged);
        File.WriteAllText(path, damaged);
        var e = Assert.Throws<InvalidDataException>(() => SplitBinding.Check(SplitPlan.Load(path), manifest, path, "manifest.csv"));
        Assert.Contains(path, e.Message);
        return e;
    }

    static string FirstOnly(string text, string from, string to)
    {
        int at = text.IndexOf(from, StringComparison.Ordinal);
        return text[..at] + to + text[(at + from.Length)..];
    }

    [Fact]
    public void ASplitFileThatLostAnImageLineIsRefusedThoughItsFingerprintStillMatches()
    {
        var e = Refusal(t => FirstOnly(t, "\n        \"img0\",", ""));
        Assert.Contains("records manifest.csv's fingerprint but was changed since: 1 image(s) of the manifest not in the split (e.g. img0)", e.Message);
    }

    [Fact]
    public void ASplitFileThatLostAFoldPartIsRefusedNamingThePatient()
    {
        var e = Refusal(t => FirstOnly(t, "\"train\",\n", ""));
        Assert.Matches("a damaged split file: patient 'pt[0-9]+' has 2 fold part\\(s\\) for 3 folds", e.Message);
    }

    [Fact]
    public void ASplitFileWhoseFoldCountWasChangedIsRefused()
    {
        var e = Refusal(t => t.Replace("\"foldCount\": 3", "\"foldCount\": 5", StringComparison.Ordinal));
        Assert.Contains("has 3 fold part(s) for 5 folds", e.Message);
    }

    [Fact]
    public void ASplitFileWithADamagedPatientIdKeyIsRefused()
    {
        var e = Refusal(t => FirstOnly(t, "\"patientId\"", "\"patiemtId\""));
        Assert.Contains("patient 1 lacks its id, folds or images", e.Message);
    }

    [Fact]
    public void ASplitFileWithADamagedImagesKeyIsRefused()
    {
        var e = Refusal(t => FirstOnly(t, "\"images\"", "\"imagex\""));
        Assert.Contains("patient 1 lacks its id, folds or images", e.Message);
    }

    [Fact]
    public void ASplitFileWithAPatientListedTwiceIsRefused()
    {
        var e = Refusal(t => FirstOnly(t, "\"patientId\": \"pt1\"", "\"patientId\": \"pt0\""));
        Assert.Contains("patient 'pt0' is listed twice", e.Message);
    }

    [Fact]
    public void AClassificationSplitWithADamagedImagesKeyIsRefused()
    {
        using var folder = new TempFolder();
        var path = folder.File("split.json");
        var images = Enumerable.Range(0, 40).Select(i => new ClassifiedImage($"img{i}", $"pt{i / 2}", i / 2 % 4 == 0 ? "lateral" : "frontal")).ToList();
        ClassificationSplitter.Split(images, folds: 2, seed: 4).Save(path);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"images\"", "\"imagez\"", StringComparison.Ordinal));
        var e = Assert.Throws<InvalidDataException>(() => ClassificationSplit.Load(path));
        Assert.Equal($"{path}: a damaged split file: images is missing", e.Message);

        ClassificationSplitter.Split(images, folds: 2, seed: 4).Save(path);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"group\": 2", "\"group\": 7", StringComparison.Ordinal));
        Assert.Contains("is in group 7, not 0 (test) or 1..2", Assert.Throws<InvalidDataException>(() => ClassificationSplit.Load(path)).Message);
    }
}
