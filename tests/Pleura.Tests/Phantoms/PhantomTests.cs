using Pleura.Data;
using Pleura.Evaluation;
using Pleura.Imaging;
using Pleura.Phantoms;

namespace Pleura.Tests.Phantoms;

public class PhantomTests
{
    [Fact]
    public void GradesFollowTheTrueOpacityFractionOfEachLung()
    {
        for (int i = 0; i < 12; i++)
        {
            var p = PhantomDataset.RenderOne(seed: 4, index: i, size: 128, leftGrade: i % 4, rightGrade: 3 - i % 4);
            double Fraction(bool[] lung) => (double)lung.Zip(p.Opacity).Count(x => x.First && x.Second) / lung.Count(x => x);
            Assert.Equal(p.LeftOpacityFraction, Fraction(p.LeftLung), 12);
            Assert.Equal(p.RightOpacityFraction, Fraction(p.RightLung), 12);
            Assert.Equal((i % 4, 3 - i % 4), (p.LeftGrade, p.RightGrade));
            // Opacity only inside the lungs; lungs never overlap each other or the spine band.
            Assert.All(Enumerable.Range(0, p.Opacity.Length).Where(k => p.Opacity[k]), k => Assert.True(p.LeftLung[k] || p.RightLung[k]));
            Assert.DoesNotContain(Enumerable.Range(0, p.Opacity.Length), k => p.LeftLung[k] && (p.RightLung[k] || p.Spine[k]));
        }
    }

    [Fact]
    public void ThePatientsLeftLungIsOnTheImagesRight()
    {
        var p = PhantomDataset.RenderOne(seed: 2, index: 0, size: 128, leftGrade: 0, rightGrade: 0);
        double CentroidX(bool[] mask) => Enumerable.Range(0, mask.Length).Where(k => mask[k]).Average(k => k % 128);
        Assert.True(CentroidX(p.LeftLung) > 70);
        Assert.True(CentroidX(p.RightLung) < 58);
        Assert.InRange(CentroidX(p.Spine), 58, 70);
    }

    [Fact]
    public void DataSetHasPatientsReadersAndIsReproducible()
    {
        using var a = new TempFolder();
        using var b = new TempFolder();
        var options = new PhantomOptions { Count = 40, Size = 64, Seed = 9 };
        var manifest = PhantomDataset.Generate(options, a.Path);
        PhantomDataset.Generate(options, b.Path);
        Assert.Equal(File.ReadAllText(Path.Combine(a.Path, "manifest.csv")), File.ReadAllText(Path.Combine(b.Path, "manifest.csv")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, "images", "ph00007.png")), File.ReadAllBytes(Path.Combine(b.Path, "images", "ph00007.png")));

        Assert.Equal(40, manifest.Rows.Count);
        Assert.Contains(manifest.Rows.GroupBy(r => r.PatientId), g => g.Count() > 1);
        Assert.True(ManifestValidator.Validate(manifest).IsValid);
        var image = RadiographReader.Read(manifest.ResolvePath(manifest.Rows[0]));
        Assert.Equal((64, 64), (image.Width, image.Height));
        foreach (var mask in PhantomDataset.MaskNames)
            Assert.True(File.Exists(Path.Combine(a.Path, manifest.Rows[0].GetExtra(mask + "_mask"))));
        // Demographics stay with the patient across visits.
        foreach (var patient in manifest.Rows.GroupBy(r => r.PatientId))
            Assert.Single(patient.Select(r => (r.Sex, r.Race, r.Age)).Distinct());
    }

    [Fact]
    public void SecondReaderAgreesMostlyButNotAlways()
    {
        using var dir = new TempFolder();
        var manifest = PhantomDataset.Generate(new PhantomOptions { Count = 300, Size = 32, Seed = 5 }, dir.Path);
        var r1 = manifest.Rows.Select(r => Manifest.Grade(r, PhantomDataset.LeftGrade)!.Value).ToArray();
        var r2 = manifest.Rows.Select(r => Manifest.Grade(r, PhantomDataset.LeftGradeReader2)!.Value).ToArray();
        double agreement = r1.Zip(r2).Count(x => x.First == x.Second) / 300.0;
        Assert.InRange(agreement, 0.7, 0.95);
        Assert.All(r1.Zip(r2), x => Assert.True(Math.Abs(x.First - x.Second) <= 1));
    }

    [Fact]
    public void GlobalIntensityCannotReadTheGrade()
    {
        // A grader that sees only global mean and spread must do about as badly as guessing (macro MAE ~1).
        (List<(double, double)> Features, List<int> Left, List<int> Right) Make(int seed, int count)
        {
            var features = new List<(double, double)>();
            var left = new List<int>();
            var right = new List<int>();
            var random = new Random(seed);
            for (int i = 0; i < count; i++)
            {
                var p = PhantomDataset.RenderOne(seed, i, 96, random.Next(4), random.Next(4));
                features.Add(GlobalIntensityBaseline.Features(p.Image));
                left.Add(p.LeftGrade);
                right.Add(p.RightGrade);
            }
            return (features, left, right);
        }
        var train = Make(1, 400);
        var test = Make(2, 200);
        foreach (var (trainGrades, testGrades) in new[] { (train.Left, test.Left), (train.Right, test.Right) })
        {
            var baseline = GlobalIntensityBaseline.Fit(train.Features, trainGrades);
            var predicted = test.Features.Select(baseline.Predict).ToArray();
            var macroMae = GradeMetrics.Compute(testGrades, predicted).MacroMae;
            Assert.True(macroMae >= 0.8, $"global-intensity baseline reached macro MAE {macroMae:0.000}: phantoms are too easy");
        }
    }
}
