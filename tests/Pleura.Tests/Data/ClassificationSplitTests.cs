using Pleura.Data;

namespace Pleura.Tests.Data;

public class ClassificationSplitTests
{
    /// <summary>Patients with one to three images; class by patient number so strata are known.</summary>
    static List<ClassifiedImage> Images(int patients, Func<int, string> classOf) =>
        Enumerable.Range(0, patients).SelectMany(p => Enumerable.Range(0, 1 + p % 3).Select(k => new ClassifiedImage($"p{p}-{k}.png", $"p{p}", classOf(p)))).ToList();

    [Fact]
    public void PatientsNeverCrossPartsAndEveryClassIsInEveryPart()
    {
        var images = Images(200, p => p % 4 == 0 ? "lateral" : "frontal");
        var split = ClassificationSplitter.Split(images, seed: 3);
        Assert.All(split.Images.GroupBy(i => i.Patient), g => Assert.Single(g.Select(i => i.Group).Distinct()));
        var testPatients = split.Test.Select(i => i.Patient).Distinct().Count();
        Assert.InRange(testPatients, 48, 52); // a quarter of 200 patients, per stratum rounded
        for (int f = 1; f <= 5; f++)
        {
            var (train, validation) = split.Fold(f);
            Assert.Empty(train.Select(i => i.Patient).Intersect(validation.Select(i => i.Patient)));
            Assert.Empty(train.Concat(validation).Select(i => i.Patient).Intersect(split.Test.Select(i => i.Patient)));
            Assert.Equal(split.Development.Count, train.Count + validation.Count);
            Assert.Equal(new[] { "frontal", "lateral" }, validation.Select(i => i.Class).Distinct().OrderBy(c => c));
        }
        Assert.Equal(new[] { "frontal", "lateral" }, split.Test.Select(i => i.Class).Distinct().OrderBy(c => c));
        // Each development image validates in exactly one fold.
        Assert.Equal(split.Development.Count, Enumerable.Range(1, 5).Sum(f => split.Fold(f).Validation.Count));
    }

    [Fact]
    public void TheSeedDecidesAndTheFileRoundTrips()
    {
        var images = Images(60, p => p % 2 == 0 ? "a" : "b");
        var one = ClassificationSplitter.Split(images, seed: 1);
        Assert.Equal(one.Images, ClassificationSplitter.Split(images, seed: 1).Images);
        Assert.NotEqual(one.Images.Select(i => i.Group), ClassificationSplitter.Split(images, seed: 2).Images.Select(i => i.Group));
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "split.json");
        one.Save(path);
        var loaded = ClassificationSplit.Load(path);
        Assert.Equal(one.Images, loaded.Images);
        Assert.Equal((1, 0.25, 5), (loaded.Seed, loaded.TestFraction, loaded.Folds));
    }

    [Fact]
    public void AClassWithTooFewPatientsIsRefusedWithTheCounts()
    {
        // Five lateral patients (nine images) cannot fill a test part and five folds.
        var images = Images(100, p => p < 5 ? "lateral" : "frontal");
        var error = Assert.Throws<InvalidDataException>(() => ClassificationSplitter.Split(images));
        Assert.Contains("too few patients of class 'lateral'", error.Message);
        Assert.Contains("at least 6 patients", error.Message);
        Assert.Contains("lateral 5 patients (9 images)", error.Message);
        Assert.Contains("frontal 95 patients", error.Message);
        // Six are enough: one in test, one per fold.
        var six = Images(100, p => p < 6 ? "lateral" : "frontal");
        var split = ClassificationSplitter.Split(six);
        Assert.Equal(6, split.Images.Where(i => i.Class == "lateral").Select(i => i.Patient).Distinct().Count());
    }

    [Fact]
    public void OneClassOrAMissingPatientIsRefused()
    {
        Assert.Contains("at least two classes", Assert.Throws<InvalidDataException>(() => ClassificationSplitter.Split(Images(30, _ => "a"))).Message);
        var blank = Images(30, p => p % 2 == 0 ? "a" : "b");
        blank[3] = blank[3] with { Patient = "" };
        Assert.Contains("no patient", Assert.Throws<InvalidDataException>(() => ClassificationSplitter.Split(blank)).Message);
    }
}
