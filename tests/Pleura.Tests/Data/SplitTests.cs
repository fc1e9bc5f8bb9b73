using Pleura.Data;

namespace Pleura.Tests.Data;

public class SplitTests
{
    /// <summary>A synthetic manifest: 400 patients with 1-3 images each and a max grade skewed towards 0.</summary>
    static Manifest MakeManifest(int patients = 400, int seed = 1)
    {
        var random = new Random(seed);
        var rows = new List<ManifestRow>();
        for (int p = 0; p < patients; p++)
        {
            int images = 1 + random.Next(3);
            int grade = random.NextDouble() < 0.4 ? 0 : 1 + random.Next(3);
            for (int i = 0; i < images; i++)
                rows.Add(new ManifestRow
                {
                    ImageId = $"p{p}_i{i}", Path = $"p{p}_i{i}.png", PatientId = $"p{p}", SourceLine = rows.Count + 2,
                    Extra = new Dictionary<string, string> { ["left_grade"] = grade.ToString(), ["right_grade"] = random.Next(grade + 1).ToString() },
                });
        }
        return new Manifest(rows, new[] { "left_grade", "right_grade" }, "/data");
    }

    [Fact]
    public void SplitsOfManifestsThatDifferOnlyInOtherColumnsAssignAlike()
    {
        var manifest = MakeManifest(60);
        var plan = PatientSplitter.Split(manifest, new SplitOptions { Seed = 7 });
        // The same patients and grades with another column (e.g. lung masks from another model): another fingerprint, same folds.
        var withMasks = new Manifest(manifest.Rows.Select(r => r with { Extra = new Dictionary<string, string>(r.Extra) { ["lung_mask"] = r.ImageId + ".png" } }).ToList(),
            new[] { "left_grade", "right_grade", "lung_mask" }, "/data");
        var again = PatientSplitter.Split(withMasks, new SplitOptions { Seed = 7 });
        Assert.NotEqual(plan.ManifestFingerprint, again.ManifestFingerprint);
        Assert.True(plan.AssignsAlike(again));
        Assert.False(plan.AssignsAlike(PatientSplitter.Split(manifest, new SplitOptions { Seed = 8 })));
        Assert.False(plan.AssignsAlike(PatientSplitter.Split(MakeManifest(59), new SplitOptions { Seed = 7 })));
    }

    [Fact]
    public void NoPatientIsInTwoPartsOrInBothOobAndAFold()
    {
        var manifest = MakeManifest();
        var plan = PatientSplitter.Split(manifest, new SplitOptions { Seed = 7 });
        Assert.Equal(5, plan.FoldCount);
        foreach (var patient in manifest.Rows.GroupBy(r => r.PatientId))
        {
            for (int fold = 1; fold <= 5; fold++)
            {
                // Every image of a patient sits in the same part of the fold.
                var parts = patient.Select(r => plan.PartOfImage(r.ImageId, fold)).Distinct().ToList();
                Assert.Single(parts);
            }
            var across = Enumerable.Range(1, 5).Select(f => plan.PartOfPatient(patient.Key, f)).ToList();
            // OOB patients are OOB in every fold; the others never are.
            Assert.True(across.All(p => p == SplitPart.OutOfBox) || across.All(p => p != SplitPart.OutOfBox));
        }
        var oob = plan.Images(SplitPart.OutOfBox).ToHashSet();
        for (int fold = 1; fold <= 5; fold++)
        {
            var train = plan.Images(SplitPart.Train, fold);
            var val = plan.Images(SplitPart.Validation, fold);
            var test = plan.Images(SplitPart.Test, fold);
            Assert.Equal(manifest.Rows.Count, train.Count + val.Count + test.Count + oob.Count);
            Assert.Empty(train.Intersect(val));
            Assert.Empty(train.Intersect(test));
            Assert.Empty(val.Intersect(test));
            Assert.Empty(oob.Intersect(train.Concat(val).Concat(test)));
        }
    }

    [Fact]
    public void PartsAreEightyTenTenWithDisjointTestSetsAndStratified()
    {
        var plan = PatientSplitter.Split(MakeManifest(), new SplitOptions { Seed = 3, OutOfBoxFraction = 0.1 });
        var inFolds = plan.Patients.Where(p => !p.OutOfBox).ToList();
        Assert.InRange(plan.Patients.Count(p => p.OutOfBox), 39, 41);
        var testSets = new List<HashSet<string>>();
        for (int fold = 1; fold <= 5; fold++)
        {
            var test = inFolds.Where(p => p.Folds[fold - 1] == SplitPart.Test).ToList();
            var val = inFolds.Where(p => p.Folds[fold - 1] == SplitPart.Validation).ToList();
            Assert.InRange(test.Count, 35, 37);
            Assert.InRange(val.Count, 35, 37);
            // Each stratum's share of the test set is close to its share overall.
            foreach (var stratum in inFolds.GroupBy(p => p.Stratum))
            {
                double overall = (double)stratum.Count() / inFolds.Count;
                double inTest = (double)test.Count(p => p.Stratum == stratum.Key) / test.Count;
                Assert.True(Math.Abs(overall - inTest) < 0.05, $"stratum {stratum.Key}: {inTest:0.00} in test vs {overall:0.00} overall");
            }
            testSets.Add(test.Select(p => p.PatientId).ToHashSet());
        }
        for (int a = 0; a < 5; a++)
            for (int b = a + 1; b < 5; b++)
                Assert.Empty(testSets[a].Intersect(testSets[b]));
    }

    [Fact]
    public void SameSeedSameSplitAndItSurvivesSaving()
    {
        using var dir = new TempFolder();
        var manifest = MakeManifest();
        var a = PatientSplitter.Split(manifest, new SplitOptions { Seed = 11 });
        var b = PatientSplitter.Split(manifest, new SplitOptions { Seed = 11 });
        var c = PatientSplitter.Split(manifest, new SplitOptions { Seed = 12 });
        string Describe(SplitPlan p) => string.Join(";", p.Patients.Select(x => x.PatientId + (x.OutOfBox ? "O" : string.Join("", x.Folds.Select(f => f.ToString()[0])))));
        Assert.Equal(Describe(a), Describe(b));
        Assert.NotEqual(Describe(a), Describe(c));

        a.Save(dir.File("split.json"));
        var loaded = SplitPlan.Load(dir.File("split.json"));
        Assert.Equal(Describe(a), Describe(loaded));
        Assert.Equal(manifest.Fingerprint(), loaded.ManifestFingerprint);
        Assert.Equal(a.PartOfImage("p5_i0", 2), loaded.PartOfImage("p5_i0", 2));

        File.WriteAllText(dir.File("bad.json"), "{\"hello\": 1}");
        Assert.Throws<InvalidDataException>(() => SplitPlan.Load(dir.File("bad.json")));
    }

    [Fact]
    public void ImagesWithoutPatientIdStopTheSplitWithTheirLine()
    {
        var rows = new[] { new ManifestRow { ImageId = "a", Path = "a.png", PatientId = "", SourceLine = 9 } };
        var e = Assert.Throws<InvalidDataException>(() => PatientSplitter.Split(new Manifest(rows, Array.Empty<string>(), "/"), new SplitOptions()));
        Assert.Contains("line 9", e.Message);
    }
}
