using System.Globalization;
using Pleura.Data;
using Pleura.Dicom.Writing;
using Pleura.Imaging;

namespace Pleura.Phantoms;

/// <summary>
/// Generates a phantom data set on disk: images, masks and a manifest with patients (some with several images),
/// demographics, per-lung grades from the true opacity fraction (reader 1) and a second reader who now and then
/// disagrees by one grade.
/// </summary>
public static class PhantomDataset
{
    public const string LeftGrade = "left_grade";
    public const string RightGrade = "right_grade";
    public const string LeftGradeReader2 = "left_grade_r2";
    public const string RightGradeReader2 = "right_grade_r2";
    public const string LeftFraction = "left_opacity_fraction";
    public const string RightFraction = "right_opacity_fraction";
    public static readonly IReadOnlyList<string> MaskNames = new[] { "left_lung", "right_lung", "spine", "opacity" };

    static readonly string[] Sexes = { "F", "M" };
    static readonly string[] Races = { "White", "Black", "Asian", "Hispanic", "Other" };
    static readonly double[] RaceWeights = { 0.45, 0.2, 0.15, 0.15, 0.05 };
    static readonly string[] Statuses = { "outpatient", "emergency", "inpatient" };

    const int PatientPurpose = 1, ImagePurpose = 2, PlanPurpose = 3;

    /// <summary>One planned image: its patient, the index of the image within the patient, and the target grades.</summary>
    sealed record Plan(int Index, int Patient, int Visit, int LeftGrade, int RightGrade);

    /// <summary>
    /// A phantom folder belongs to the phantoms of its count, size and seed: the same command again writes the same
    /// files, while other settings into it (whose manifest would drop or change rows it keeps images of) are refused.
    /// </summary>
    public static Pleura.Data.FolderOwner Owner(PhantomOptions options) => Pleura.Data.FolderOwner.Output("phantom set", "synthetic radiographs",
        ("count", options.Count), ("size", options.Size), ("seed", options.Seed));

    public static Manifest Generate(PhantomOptions options, string outputFolder, Action<int>? onProgress = null)
    {
        options.Check();
        Owner(options).ClaimOutput(outputFolder);
        var plans = PlanImages(options);
        var anatomies = new Dictionary<int, Anatomy>();
        foreach (var p in plans.Select(p => p.Patient).Distinct())
            anatomies[p] = Anatomy.Sample(SeededRandom.For(options.Seed, PatientPurpose, p));

        var rows = new ManifestRow[plans.Count];
        int done = 0;
        Parallel.For(0, plans.Count, i =>
        {
            var plan = plans[i];
            var random = SeededRandom.For(options.Seed, ImagePurpose, i);
            var exposure = Exposure.Sample(random, TargetFraction(plan.LeftGrade, random), TargetFraction(plan.RightGrade, random));
            var phantom = PhantomRenderer.Render(anatomies[plan.Patient], exposure, options.Size, random);
            rows[i] = Write(phantom, plan, options, outputFolder, random);
            onProgress?.Invoke(Interlocked.Increment(ref done));
        });

        var extras = new List<string> { LeftGrade, RightGrade, LeftGradeReader2, RightGradeReader2, LeftFraction, RightFraction };
        extras.AddRange(MaskNames.Select(m => m + "_mask"));
        var manifest = new Manifest(rows, extras, outputFolder);
        ManifestCsv.Write(manifest, Path.Combine(outputFolder, "manifest.csv"));
        return manifest;
    }

    /// <summary>Renders one phantom in memory (no files), e.g. for tests and the network's smoke checks.</summary>
    public static Phantom RenderOne(int seed, int index, int size, int leftGrade, int rightGrade)
    {
        var random = SeededRandom.For(seed, ImagePurpose, index);
        var anatomy = Anatomy.Sample(SeededRandom.For(seed, PatientPurpose, index));
        return PhantomRenderer.Render(anatomy, Exposure.Sample(random, TargetFraction(leftGrade, random), TargetFraction(rightGrade, random)), size, random);
    }

    static List<Plan> PlanImages(PhantomOptions options)
    {
        var random = SeededRandom.For(options.Seed, PlanPurpose, 0);
        var plans = new List<Plan>();
        int patient = 0;
        while (plans.Count < options.Count)
        {
            // Most patients have one image; some have follow-ups whose grades drift by at most one step.
            int visits = random.Pick(new[] { 1, 2, 3 }, new[] { 0.7, 0.2, 0.1 });
            int leftGrade = random.Next(OpacityGrade.Count), rightGrade = random.Next(OpacityGrade.Count);
            for (int visit = 0; visit < visits && plans.Count < options.Count; visit++)
            {
                plans.Add(new Plan(plans.Count, patient, visit, leftGrade, rightGrade));
                leftGrade = Math.Clamp(leftGrade + random.Next(-1, 2), 0, 3);
                rightGrade = Math.Clamp(rightGrade + random.Next(-1, 2), 0, 3);
            }
            patient++;
        }
        return plans;
    }

    /// <summary>A true opaque fraction inside the grade's band, away from its edges so the truth is unambiguous.</summary>
    static double TargetFraction(int grade, Random random) => grade switch
    {
        0 => 0,
        1 => random.Uniform(0.05, 0.30),
        2 => random.Uniform(0.38, 0.62),
        _ => random.Uniform(0.71, 0.95),
    };

    static ManifestRow Write(Phantom phantom, Plan plan, PhantomOptions options, string folder, Random random)
    {
        string id = $"ph{plan.Index:D5}";
        string imagePath = Path.Combine("images", id + ".png");
        var pixels = new GreyImage(phantom.Size, phantom.Size, phantom.Image).ToBytes();
        PngWriter.WriteGrey8(Path.Combine(folder, imagePath), pixels, phantom.Size, phantom.Size);
        var maskPaths = new Dictionary<string, string>();
        foreach (var (name, mask) in MaskNames.Zip(new[] { phantom.LeftLung, phantom.RightLung, phantom.Spine, phantom.Opacity }))
        {
            string relative = Path.Combine("masks", name, id + ".png");
            PngWriter.WriteMask(Path.Combine(folder, relative), mask, phantom.Size, phantom.Size);
            maskPaths[name + "_mask"] = relative;
        }

        // Demographics are per patient: draw them from the patient's own stream so every visit agrees.
        var person = SeededRandom.For(options.Seed, PatientPurpose + 10, plan.Patient);
        int age = 18 + person.Next(73);
        string sex = Sexes[person.Next(2)];
        string race = person.Pick(Races, RaceWeights);
        int severity = Math.Max(phantom.LeftGrade, phantom.RightGrade);
        string covid = random.NextDouble() < 0.2 + 0.2 * severity ? "positive" : "negative";
        string status = random.Pick(Statuses, new[] { 3.0 - severity * 0.8, 1.0, 0.5 + severity });
        var date = new DateTime(2020, 3, 1).AddDays(person.Next(400) + plan.Visit * (2 + person.Next(10)));

        var extra = new Dictionary<string, string>
        {
            [LeftGrade] = phantom.LeftGrade.ToString(CultureInfo.InvariantCulture),
            [RightGrade] = phantom.RightGrade.ToString(CultureInfo.InvariantCulture),
            [LeftGradeReader2] = SecondReader(phantom.LeftOpacityFraction, options.ReaderDisagreement, random).ToString(CultureInfo.InvariantCulture),
            [RightGradeReader2] = SecondReader(phantom.RightOpacityFraction, options.ReaderDisagreement, random).ToString(CultureInfo.InvariantCulture),
            [LeftFraction] = phantom.LeftOpacityFraction.ToString("0.0000", CultureInfo.InvariantCulture),
            [RightFraction] = phantom.RightOpacityFraction.ToString("0.0000", CultureInfo.InvariantCulture),
        };
        foreach (var (k, p) in maskPaths) extra[k] = p;

        var row = new ManifestRow
        {
            ImageId = id,
            Path = imagePath,
            PatientId = $"pt{plan.Patient:D5}",
            Accession = $"acc{plan.Index:D6}",
            StudyDate = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            View = random.NextDouble() < 0.6 ? "PA" : "AP",
            Age = age,
            Sex = sex,
            Race = race,
            CovidStatus = covid,
            PatientStatus = status,
            Extra = extra,
            SourceLine = plan.Index + 2,
        };
        if (options.Dicom)
        {
            var ids = PhantomDicomIds.For(options.Seed, row.PatientId, $"visit{plan.Visit}", id);
            Directory.CreateDirectory(Path.Combine(folder, "dicom"));
            DicomFileWriter.Write(Path.Combine(folder, "dicom", id + ".dcm"), PhantomDicom.Build(pixels, phantom.Size, row, ids));
        }
        return row;
    }

    /// <summary>A second reader: usually agrees, and is likelier to go one grade up or down near a grade boundary.</summary>
    static int SecondReader(double fraction, double disagreement, Random random)
    {
        int grade = OpacityGrade.FromFraction(fraction);
        double nearest = new[] { 0.0, 1.0 / 3, 2.0 / 3, 1.0 }.Min(b => Math.Abs(fraction - b));
        double p = Math.Min(1, disagreement * (0.5 + Math.Max(0, 1 - nearest / 0.1)));
        if (random.NextDouble() >= p) return grade;
        int step = grade == 0 ? 1 : grade == 3 ? -1 : (random.NextDouble() < 0.5 ? -1 : 1);
        return grade + step;
    }
}
