using System.Text;

namespace Pleura.Tests.Cli;

/// <summary>
/// A small finished project for the bad-input catalogue: phantoms with a manifest, two different splits, a trained run
/// (one epoch per stage), an earlier predictions file, broken copies of each kind of input, and study files.
/// </summary>
public sealed class BadInputWorld : IDisposable
{
    readonly TempFolder _root = new();
    public string Path => _root.Path;
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public BadInputWorld()
    {
        Check(CliRunner.Run("phantoms", "--count", "60", "--size", "64", "--seed", "1", "--out", File("ph")));
        Check(CliRunner.Run("split", File("ph/manifest.csv"), "--out", File("s1.json"), "--seed", "1"));
        Check(CliRunner.Run("split", File("ph/manifest.csv"), "--out", File("s2.json"), "--seed", "2"));
        Check(CliRunner.Run(TrainArgs("s1.json", "run")));
        Check(CliRunner.Run("predict", File("run"), File("ph/images/ph00001.png"), "-o", File("pred.csv")));
        TrainStoppedDuringTheRightLung(File("half"));

        var lines = System.IO.File.ReadAllLines(File("ph/manifest.csv"));
        var header = lines[0].Split(',');
        string Edit(int row, string column, string value)
        {
            var fields = lines[row].Split(',');
            fields[Array.IndexOf(header, column)] = value;
            return string.Join(',', fields);
        }
        string[] Without(string column) => lines.Select(l => string.Join(',', l.Split(',').Where((_, i) => header[i] != column))).ToArray();
        void Write(string name, IEnumerable<string> content) => System.IO.File.WriteAllLines(File("ph/" + name), content);
        // A user's own good manifest in a folder nobody owns (the phantom folder's is refused as another's).
        Directory.CreateDirectory(File("mine"));
        System.IO.File.Copy(File("ph/manifest.csv"), File("mine/manifest.csv"));
        Write("grade5.csv", lines.Select((l, i) => i == 3 ? Edit(3, "left_grade", "5") : l));
        Write("grade_abc.csv", lines.Select((l, i) => i == 5 ? Edit(5, "right_grade", "abc") : l));
        Write("header_only.csv", lines.Take(1));
        Write("no_image_id.csv", Without("image_id"));
        Write("no_patient.csv", Without("patient_id"));
        Write("malformed.csv", lines.Select((l, i) => i == 7 ? l + ",extra" : l));
        Write("duplicate_id.csv", lines.Append(lines[2]));
        var noMasks = lines.Select(l => string.Join(',', l.Split(',').Where((_, i) => !header[i].EndsWith("_mask", StringComparison.Ordinal)))).ToArray();
        Write("no_masks.csv", noMasks);
        // The same images under other patients (each row given the next row's patient), and the same patients with one grade changed.
        var patients = lines.Skip(1).Select(l => l.Split(',')[Array.IndexOf(header, "patient_id")]).ToArray();
        Write("other_patients.csv", lines.Select((l, i) => i == 0 ? l : Edit(i, "patient_id", patients[i % patients.Length])));
        var extra = lines[2].Split(',');
        extra[Array.IndexOf(header, "image_id")] = "ph99999";
        extra[Array.IndexOf(header, "patient_id")] = "extra-patient";
        Write("more_images.csv", lines.Append(string.Join(',', extra)));
        Write("broken_image.csv", lines.Select((l, i) => i == 1 ? Edit(1, "path", "../bad/truncated.png") : l));
        Write("regraded.csv", lines.Select((l, i) => i == 4 ? Edit(4, "left_grade", lines[4].Split(',')[Array.IndexOf(header, "left_grade")] == "0" ? "1" : "0") : l));
        System.IO.File.WriteAllBytes(File("garbage.csv"), Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 256)).ToArray());

        System.IO.File.WriteAllText(File("keys.txt"), "bad-input-world-key-0123456789\n");
        System.IO.File.WriteAllText(File("empty-keys.txt"), "# no key yet\n\n");
        Directory.CreateDirectory(File("bad"));
        var png = System.IO.File.ReadAllBytes(File("ph/images/ph00001.png"));
        System.IO.File.WriteAllBytes(File("bad/truncated.png"), png[..(png.Length / 2)]);
        System.IO.File.WriteAllBytes(File("bad/tiny.png"), TinyPng());
        var dicom = new byte[400];
        Encoding.ASCII.GetBytes("DICM").CopyTo(dicom, 128);
        System.IO.File.WriteAllBytes(File("bad/scan.dcm"), dicom);
        Directory.CreateDirectory(File("dicom"));
        System.IO.File.WriteAllBytes(File("dicom/IM0001"), dicom);
        var weights = System.IO.File.ReadAllBytes(File("run/left/model.safetensors"));
        System.IO.File.WriteAllBytes(File("bad/truncated.safetensors"), weights[..(weights.Length / 2)]);
        System.IO.File.WriteAllBytes(File("bad/bare.safetensors"), weights);
        System.IO.File.WriteAllText(File("bad/not-weights.safetensors"), "hello, these are not weights");

        // Study files: the phantom study of examples/, made small, and one broken copy per mistake.
        var study = """
            name: catalogue-study
            manifest: ph/manifest.csv
            groups: [sex]
            grid:
              roi: [none]
              balancing: [under]
              backbones: [resnet10-w16]
            folds: 2
            top_k: 1
            training:
              image_size: 64
              batch_size: 16
              stage1_epochs: 1
              stage2_epochs: 1
            """;
        System.IO.File.WriteAllText(File("study.yaml"), study);
        // A folder the study has claimed (as `study run` does before its first trial).
        Pleura.Study.StudyFolder.Claim(Pleura.Study.StudySpec.Load(File("study.yaml")), File("study-folder"));
        foreach (var (name, from, to) in StudyMistakes)
            System.IO.File.WriteAllText(File($"study_{name}.yaml"), study.Contains(from, StringComparison.Ordinal) ? study.Replace(from, to, StringComparison.Ordinal)
                : throw new InvalidOperationException($"study mistake {name}: '{from}' not in the study file"));
    }

    public static readonly (string Name, string From, string To)[] StudyMistakes =
    {
        ("unknown_key", "top_k: 1", "top_kk: 1"),
        ("folds_word", "folds: 2", "folds: two"),
        ("backbone", "backbones: [resnet10-w16]", "backbones: [resnet10-w16, resnet99]"),
        ("escaping_name", "name: catalogue-study", "name: ../../escaped"),
        ("group_column", "groups: [sex]", "groups: [shoe_size]"),
        ("small_size", "image_size: 64", "image_size: 20"),
        ("balancing", "balancing: [under]", "balancing: [under, sideways]"),
        ("yaml_syntax", "grid:", "grid: [unclosed"),
        ("training_key", "batch_size: 16", "batch_sizes: 16"),
        ("lung_roi_no_masks", "manifest: ph/manifest.csv\ngroups: [sex]\ngrid:\n  roi: [none]", "manifest: ph/no_masks.csv\ngroups: [sex]\ngrid:\n  roi: [lung]"),
        ("missing_manifest", "manifest: ph/manifest.csv", "manifest: ph/nowhere.csv"),
        ("bad_reader_grades", "manifest: ph/manifest.csv", "manifest: ph/grade5.csv"),
        ("negative_stage2", "stage2_epochs: 1", "stage2_epochs: -3"),
    };

    /// <summary>A run stopped (as by Ctrl+C) while its right lung trained: the left model is saved, the right is not.</summary>
    void TrainStoppedDuringTheRightLung(string folder)
    {
        var job = new Pleura.Grading.GradingJob
        {
            ManifestPath = File("ph/manifest.csv"), SplitPath = File("s1.json"), RunFolder = folder,
            Training = new Pleura.Training.TrainingConfig { Architecture = "resnet10-w16", ImageSize = 64, Stage1Epochs = 1, Stage2Epochs = 1, BatchSize = 16 },
        };
        using var cancel = new CancellationTokenSource();
        try { Pleura.Grading.GradingRun.Train(job, progress: (side, _) => { if (side.Name == "right") cancel.Cancel(); }, cancel: cancel.Token); }
        catch (OperationCanceledException) { }
        if (!System.IO.File.Exists(System.IO.Path.Combine(folder, "left", "model.safetensors")) || System.IO.File.Exists(System.IO.Path.Combine(folder, "right", "model.safetensors")))
            throw new InvalidOperationException("setting up the bad-input world: the stopped run should have a left model and no right model");
    }

    public string[] TrainArgs(string split, string run, params string[] more) =>
        new[] { "train", "-m", File("ph/manifest.csv"), "-s", File(split), "-o", File(run), "--arch", "resnet10-w16", "--size", "64",
                "--epochs1", "1", "--epochs2", "1", "--batch", "16", "--seed", "1" }.Concat(more).ToArray();

    /// <summary>Every file under the world with its content hash: compared before and after each case.</summary>
    public SortedDictionary<string, string> Snapshot() => FolderSnapshot.Of(Path);

    static void Check(int code)
    {
        if (code != 0) throw new InvalidOperationException($"setting up the bad-input world failed (exit {code})");
    }

    /// <summary>A valid 1x1 8-bit grey PNG.</summary>
    static byte[] TinyPng()
    {
        using var image = NetVips.Image.NewFromMemory(new byte[] { 128 }, 1, 1, 1, NetVips.Enums.BandFormat.Uchar);
        return image.PngsaveBuffer();
    }

    public void Dispose() => _root.Dispose();
}
