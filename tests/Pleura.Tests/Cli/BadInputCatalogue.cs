namespace Pleura.Tests.Cli;

/// <summary>
/// The bad-input catalogue: each case is a mistake a user makes, run through the real command line in-process. Every
/// case asserts the exit code, the message the user reads, and that nothing was written or changed: every file of the
/// project (the trained run, the earlier predictions, the inputs) is byte-identical afterwards, and the output path the
/// case names does not exist.
/// </summary>
[Collection("console")]
public class BadInputCatalogue : IClassFixture<BadInputWorld>
{
    const int Usage = Pleura.Cli.Cli.ExitUsage, Invalid = Pleura.Cli.Cli.ExitInvalidData;
    readonly BadInputWorld _world;

    public BadInputCatalogue(BadInputWorld world) => _world = world;

    /// <summary>A case: the arguments ({w} is the world folder, {out} a path that must stay unwritten), the exit code and a part of the message.</summary>
    internal sealed record Case(string[] Args, int Code, string Message);

    static Case C(int code, string message, params string[] args) => new(args, code, message);

    static readonly string[] Train = { "--arch", "resnet10-w16", "--size", "64", "--epochs1", "1", "--epochs2", "1", "--batch", "16", "--seed", "1" };

    static Case T(int code, string message, string manifest, string split, string run, params string[] more) =>
        new(new[] { "train", "-m", manifest, "-s", split, "-o", run }.Concat(Train).Concat(more).ToArray(), code, message);

    /// <summary>`evaluate` or `explain` of the world's run on its manifest and first split, into <paramref name="output"/>.</summary>
    static Case Scored(string message, string command, string output) =>
        C(Invalid, message, command, "{w}/run", "-m", "{w}/ph/manifest.csv", "-s", "{w}/s1.json", "-o", output);

    /// <summary>The cases by name; docs/contracts.md lists each (Cli/ContractsPageTests).</summary>
    internal static readonly Dictionary<string, Case> Cases = new()
    {
        // 1. Test-set leakage.
        ["train into a finished run with another split"] = T(Invalid, "holds another run (split fingerprint", "{w}/ph/manifest.csv", "{w}/s2.json", "{w}/run"),
        ["train into a finished run with another fold"] = T(Invalid, "fold 1 there, 2 now", "{w}/ph/manifest.csv", "{w}/s1.json", "{w}/run", "--fold", "2"),
        ["train into a finished run with other settings"] = T(Invalid, "training settings differ", "{w}/ph/manifest.csv", "{w}/s1.json", "{w}/run", "--lr1", "0.01"),
        ["train into a finished run with another ROI"] = T(Invalid, "ROI \"None\" there, \"Lung\" now", "{w}/ph/manifest.csv", "{w}/s1.json", "{w}/run", "--roi", "lung"),
        ["evaluate on a split whose test images trained the model"] = C(Invalid, "were used to train or validate",
            "evaluate", "{w}/run", "-m", "{w}/ph/manifest.csv", "-s", "{w}/s2.json", "-o", "{out}"),
        ["train with a split of the same images under other patients"] = T(Invalid, "s1.json was not made from", "{w}/ph/other_patients.csv", "{w}/s1.json", "{out}"),
        ["evaluate with a split of the same images under other patients"] = C(Invalid, "image(s) under another patient",
            "evaluate", "{w}/run", "-m", "{w}/ph/other_patients.csv", "-s", "{w}/s1.json", "-o", "{out}"),
        ["explain with a split of the same images under other patients"] = C(Invalid, "image(s) under another patient",
            "explain", "{w}/run", "-m", "{w}/ph/other_patients.csv", "-s", "{w}/s1.json", "-o", "{out}"),
        ["evaluate with a split of fewer images than the manifest"] = C(Invalid, "image(s) of the manifest not in the split",
            "evaluate", "{w}/run", "-m", "{w}/ph/more_images.csv", "-s", "{w}/s1.json", "-o", "{out}"),
        // 4. A run whose training stopped during the right lung answers for no lung.
        ["predict with a run stopped during the right lung"] = C(Invalid, "is an incomplete run: training of the right lung model did not finish",
            "predict", "{w}/half", "{w}/ph/images/ph00001.png", "-o", "{out}"),
        ["serve a run stopped during the right lung"] = C(Invalid, "is an incomplete run", "serve", "{w}/half", "--api-key-file", "{w}/keys.txt"),
        ["evaluate a run stopped during the right lung"] = C(Invalid, "is an incomplete run",
            "evaluate", "{w}/half", "-m", "{w}/ph/manifest.csv", "-s", "{w}/s1.json", "-o", "{out}"),
        ["explain a run stopped during the right lung"] = C(Invalid, "is an incomplete run",
            "explain", "{w}/half", "-m", "{w}/ph/manifest.csv", "-s", "{w}/s1.json", "-o", "{out}"),
        ["export a run stopped during the right lung to ONNX"] = C(Invalid, "is an incomplete run", "export", "onnx", "{w}/half", "-o", "{out}"),
        // Refused before training: no output folder is left behind.
        ["train --strict with an unreadable image"] = T(Invalid, "truncated", "{w}/ph/broken_image.csv", "{w}/s1.json", "{out}", "--strict"),
        ["classify train with classes the source does not have"] = C(Invalid, "no images of class frontal, lateral",
            "classify", "train", "{w}/ph", "-o", "{out}", "--classes", "frontal", "lateral"),
        // A folder belongs to what made it: a training run, a study, an ingest.
        ["study run with a training run's folder"] = C(Invalid, "holds a training run (job.json)", "study", "run", "{w}/study.yaml", "--folder", "{w}/run"),
        ["train into a study's folder"] = T(Invalid, "belongs to study 'catalogue-study', not to a training run", "{w}/ph/manifest.csv", "{w}/s1.json", "{w}/study-folder"),
        ["ingest into a training run's folder"] = C(Invalid, "holds a training run (job.json)", "ingest", "{w}/dicom", "-o", "{w}/run"),
        // Every other command that writes: its own output folder, or files in a folder nobody owns.
        ["phantoms into a training run's folder"] = C(Invalid, "holds a training run (job.json)", "phantoms", "--count", "60", "--size", "64", "-o", "{w}/run"),
        ["phantoms with another seed into a phantom folder"] = C(Invalid, "seed 1 there, 2 now", "phantoms", "--count", "60", "--size", "64", "--seed", "2", "-o", "{w}/ph"),
        ["phantoms with fewer images into a phantom folder"] = C(Invalid, "count 60 there, 30 now", "phantoms", "--count", "30", "--size", "64", "--seed", "1", "-o", "{w}/ph"),
        ["split into a study's folder"] = C(Invalid, "study-folder belongs to study 'catalogue-study': split does not write split.json",
            "split", "{w}/ph/manifest.csv", "-o", "{w}/study-folder/split.json"),
        ["split over the phantoms' manifest"] = C(Invalid, "belongs to phantom set 'synthetic radiographs': split does not write manifest.csv", "split", "{w}/ph/manifest.csv", "-o", "{w}/ph/manifest.csv"),
        ["evaluate into a training run's folder"] = Scored("is not this evaluation's folder: it holds a training run (job.json)", "evaluate", "{w}/run"),
        ["evaluate into the phantoms' folder"] = Scored("it belongs to phantom set 'synthetic radiographs', not evaluation", "evaluate", "{w}/ph"),
        ["explain into a study's folder"] = Scored("it belongs to study 'catalogue-study', not explanation", "explain", "{w}/study-folder"),
        ["export a run to ONNX into the phantoms' folder"] = C(Invalid, "it belongs to phantom set 'synthetic radiographs', not ONNX export", "export", "onnx", "{w}/run", "-o", "{w}/ph"),
        ["segment predict into a training run's folder"] = C(Invalid, "is not this segmentation's folder: it holds a training run (job.json)",
            "segment", "predict", "{w}/run/left/model.safetensors", "{w}/ph/images/ph00001.png", "-o", "{w}/run"),
        ["segment opacity into a study's folder"] = C(Invalid, "it belongs to study 'catalogue-study', not opacity measurement",
            "segment", "opacity", "{w}/run/left/model.safetensors", "-m", "{w}/ph/manifest.csv", "-o", "{w}/study-folder"),
        ["metrics of a table in the phantoms' folder without -o"] = C(Invalid, "ph belongs to phantom set 'synthetic radiographs': metrics does not write metrics.csv",
            "metrics", "{w}/ph/manifest.csv", "--truth", "left_grade", "--pred", "right_grade"),
        ["weights imagenet over a run's checkpoint"] = C(Invalid, "run holds a training run (job.json): weights does not write model.safetensors",
            "weights", "imagenet", "-o", "{w}/run/left/model.safetensors"),
        ["weights import into a study's folder"] = C(Invalid, "belongs to study 'catalogue-study': weights import does not write",
            "weights", "import", "{w}/run/left/model.safetensors", "--arch", "resnet10-w16", "-o", "{w}/study-folder/w.safetensors"),
        ["pretrain into a training run's folder"] = C(Invalid, "holds a training run (job.json): pretrain does not write",
            "pretrain", "{w}/ph", "-o", "{w}/run/pre.safetensors", "--arch", "resnet10-w16", "--size", "64"),
        ["classify train into a training run's folder"] = C(Invalid, "holds a training run (job.json): classify train does not write",
            "classify", "train", "{w}/ph", "-o", "{w}/run", "--classes", "frontal", "lateral"),
        ["classify predict into a study's folder"] = C(Invalid, "belongs to study 'catalogue-study': classify predict does not write",
            "classify", "predict", "{w}/run", "{w}/ph/images/ph00001.png", "-o", "{w}/study-folder/classes.csv"),
        ["classify evaluate into the phantoms' folder"] = C(Invalid, "it belongs to phantom set 'synthetic radiographs', not classifier evaluation",
            "classify", "evaluate", "{w}/run", "{w}/ph", "-o", "{w}/ph"),
        ["classify explain into a study's folder"] = C(Invalid, "it belongs to study 'catalogue-study', not classifier explanation",
            "classify", "explain", "{w}/run", "-o", "{w}/study-folder"),
        ["classify compare into a training run's folder"] = C(Invalid, "is not this classifier comparison's folder: it holds a training run (job.json)",
            "classify", "compare", "{w}/run", "{w}/half", "-o", "{w}/run"),
        ["segment train into a study's folder"] = C(Invalid, "belongs to study 'catalogue-study': segment train does not write",
            "segment", "train", "--images", "{w}/ph/images", "--mask", "left_lung={w}/ph/masks/left_lung", "-o", "{w}/study-folder/lungs.safetensors", "--size", "32", "--epochs", "1"),
        ["segment spine-band into the phantoms' folder"] = C(Invalid, "it belongs to phantom set 'synthetic radiographs', not spine band masks",
            "segment", "spine-band", "--left", "{w}/ph/masks/left_lung", "--right", "{w}/ph/masks/right_lung", "-o", "{w}/ph"),
        ["manifest import into a training run's folder"] = C(Invalid, "holds a training run (job.json): manifest import does not write",
            "manifest", "import", "{w}/ph/manifest.csv", "-o", "{w}/run/manifest.csv"),
        ["predict into a study's folder"] = C(Invalid, "belongs to study 'catalogue-study': predict does not write",
            "predict", "{w}/run", "{w}/ph/images/ph00001.png", "-o", "{w}/study-folder/predictions.csv"),
        ["ingest train-negatives into a training run's folder"] = C(Invalid, "holds a training run (job.json): ingest train-negatives does not write",
            "ingest", "train-negatives", "-o", "{w}/run/negatives.safetensors"),
        // 2. Labels and manifests.
        ["split a manifest with grade 5"] = C(Invalid, "left_grade = '5' is not a grade 0-3", "split", "{w}/ph/grade5.csv", "-o", "{out}"),
        ["split a manifest with grade abc"] = C(Invalid, "right_grade = 'abc' is not a grade 0-3", "split", "{w}/ph/grade_abc.csv", "-o", "{out}"),
        ["train on a manifest with grade 5"] = T(Invalid, "left_grade = '5' is not a grade 0-3", "{w}/ph/grade5.csv", "{w}/s1.json", "{out}"),
        ["split a header-only manifest"] = C(Invalid, "no image rows (only a header)", "split", "{w}/ph/header_only.csv", "-o", "{out}"),
        ["split a manifest without image_id"] = C(Invalid, "no 'image_id' column", "split", "{w}/ph/no_image_id.csv", "-o", "{out}"),
        ["split a manifest without patient_id"] = C(Invalid, "no 'patient_id' column", "split", "{w}/ph/no_patient.csv", "-o", "{out}"),
        ["split a binary file"] = C(Invalid, "not a CSV text file", "split", "{w}/garbage.csv", "-o", "{out}"),
        ["split a manifest that is not there"] = C(Invalid, "file not found", "split", "{w}/ph/nowhere.csv", "-o", "{out}"),
        ["split a manifest with a malformed row"] = C(Invalid, "line 8", "split", "{w}/ph/malformed.csv", "-o", "{out}"),
        ["split a manifest with a duplicate image id"] = C(Invalid, "appears on lines", "split", "{w}/ph/duplicate_id.csv", "-o", "{out}"),
        ["split stratified by a column that is not there"] = C(Invalid, "label column 'shoe_grade' is not in the manifest",
            "split", "{w}/ph/manifest.csv", "-o", "{out}", "--stratify-by", "shoe_grade"),
        ["train a lung ROI without lung masks"] = T(Invalid, "needs lung masks", "{w}/ph/no_masks.csv", "{w}/s1.json", "{out}", "--roi", "lung"),
        // 3 and 4. Usage errors come first, exit 2, one line each.
        ["demo with 5 images"] = C(Usage, "--images must be at least 60, not 5", "demo", "--images", "5", "-o", "{out}"),
        ["explain with a negative limit"] = C(Usage, "--limit must be at least 1, not -5",
            "explain", "{w}/run", "-m", "{w}/ph/manifest.csv", "-s", "{w}/s1.json", "--limit", "-5", "-o", "{out}"),
        ["train without a split"] = C(Usage, "Option '--split' is required", "train", "-m", "{w}/ph/manifest.csv", "-o", "{out}"),
        ["split with folds 'abc'"] = C(Usage, "--folds: 'abc' is not a whole number", "split", "{w}/ph/manifest.csv", "-o", "{out}", "--folds", "abc"),
        ["train with balancing 'sideways'"] = T(Usage, "--balance: 'sideways' is not one of none, under, over, double",
            "{w}/ph/manifest.csv", "{w}/s1.json", "{out}", "--balance", "sideways"),
        ["a command that does not exist"] = C(Usage, "Unrecognized command or argument 'traun'", "traun"),
        ["split with an OOB share of 1.5"] = C(Usage, "--oob must be a fraction from 0 to below 1", "split", "{w}/ph/manifest.csv", "-o", "{out}", "--oob", "1.5"),
        ["train at 16 pixels"] = C(Usage, "--size must be at least 32, not 16", "train", "-m", "{w}/ph/manifest.csv", "-s", "{w}/s1.json", "-o", "{out}", "--size", "16"),
        ["evaluate in fp64"] = C(Usage, "--precision must be auto, fp32 or bf16, not 'fp64'",
            "evaluate", "{w}/run", "-m", "{w}/ph/manifest.csv", "-s", "{w}/s1.json", "--precision", "fp64", "-o", "{out}"),
        // 3. Study files: key, line, plain words, exit 1; nothing made before the check.
        ["study file with an unknown key"] = C(Invalid, "line 9, 'top_kk': unknown key 'top_kk' (known here:", "study", "run", "{w}/study_unknown_key.yaml"),
        ["study file with folds: two"] = C(Invalid, "line 8, 'folds': expected a whole number", "study", "run", "{w}/study_folds_word.yaml"),
        ["study file with an unknown backbone"] = C(Invalid, "line 7, 'grid.backbones[1]': backbone 'resnet99' is not one of", "study", "run", "{w}/study_backbone.yaml"),
        ["study named ../../escaped"] = C(Invalid, "'name': name '../../escaped' must be a plain folder name", "study", "run", "{w}/study_escaping_name.yaml"),
        ["study grouped by a column that is not there"] = C(Invalid, "has no column 'shoe_size' (named under 'groups'", "study", "run", "{w}/study_group_column.yaml"),
        ["study at 20 pixels"] = C(Invalid, "'training.image_size': resnet10-w16: input size must be at least 32, got 20", "study", "run", "{w}/study_small_size.yaml"),
        ["study balanced 'sideways'"] = C(Invalid, "'grid.balancing[1]': balancing 'sideways' must be none, under, over or double", "study", "run", "{w}/study_balancing.yaml"),
        ["study file that is not YAML"] = C(Invalid, "not valid YAML", "study", "run", "{w}/study_yaml_syntax.yaml"),
        ["study file with an unknown training key"] = C(Invalid, "'training.batch_sizes': unknown key 'batch_sizes' (known here: architecture", "study", "run", "{w}/study_training_key.yaml"),
        ["study with stage2_epochs -3"] = C(Invalid, "line 14, 'training.stage2_epochs': resnet10-w16: epochs cannot be negative, got -3", "study", "run", "{w}/study_negative_stage2.yaml"),
        ["study with a lung ROI and no masks"] = C(Invalid, "needs lung masks", "study", "run", "{w}/study_lung_roi_no_masks.yaml"),
        ["study whose manifest is not there"] = C(Invalid, "file not found", "study", "run", "{w}/study_missing_manifest.yaml"),
        ["study whose manifest has grade 5"] = C(Invalid, "left_grade = '5' is not a grade 0-3", "study", "run", "{w}/study_bad_reader_grades.yaml"),
        ["report of a study that never ran"] = C(Invalid, "run the study first", "study", "report", "{w}/study.yaml"),
        ["export of a study that never ran"] = C(Invalid, "run the study first", "study", "export", "{w}/study.yaml", "-o", "{out}"),
        ["export to xlsx"] = C(Usage, "--format must be csv or parquet, not 'xlsx'", "study", "export", "{w}/study.yaml", "--format", "xlsx", "-o", "{out}"),
        // 5. Results never clobbered.
        ["predict with only unreadable images over an earlier result"] = C(Invalid, "none of the 2 image(s) could be read; ",
            "predict", "{w}/run", "{w}/bad/truncated.png", "{w}/bad/tiny.png", "-o", "{w}/pred.csv"),
        ["manifest import with errors over a good manifest"] = C(Invalid, "already holds a manifest and is kept",
            "manifest", "import", "{w}/ph/grade5.csv", "-o", "{w}/mine/manifest.csv"),
        ["manifest import mapping a column the table lacks over a good manifest"] = C(Invalid, "no row could be imported",
            "manifest", "import", "{w}/ph/manifest.csv", "--map", "patient_id=nowhere", "-o", "{w}/mine/manifest.csv"),
        ["manifest import over the phantoms' manifest"] = C(Invalid, "belongs to phantom set 'synthetic radiographs': manifest import does not write manifest.csv",
            "manifest", "import", "{w}/ph/manifest.csv", "-o", "{w}/ph/manifest.csv"),
        ["demo into a training run"] = C(Invalid, "is not a demo run folder", "demo", "-o", "{w}/run"),
        // 6 and 7. Messages that say what is wrong.
        ["predict a truncated PNG"] = C(Invalid, "corrupt or truncated image", "predict", "{w}/run", "{w}/bad/truncated.png", "-o", "{out}"),
        ["predict a 1x1 image"] = C(Invalid, "too small to be a radiograph: 1x1 pixels", "predict", "{w}/run", "{w}/bad/tiny.png", "-o", "{out}"),
        ["predict a broken DICOM file"] = C(Invalid, "scan.dcm: the 'DICM' marker is not followed by file meta information", "predict", "{w}/run", "{w}/bad/scan.dcm", "-o", "{out}"),
        ["predict a folder of broken DICOM files"] = C(Invalid, "IM0001: the 'DICM' marker is not followed by file meta information", "predict", "{w}/run", "{w}/dicom", "-o", "{out}"),
        ["predict with a folder that is not a run"] = C(Invalid, "no left/model.safetensors or right/model.safetensors",
            "predict", "{w}/bad", "{w}/ph/images/ph00001.png", "-o", "{out}"),
        ["inspect truncated weights"] = C(Invalid, "truncated: tensor 'layer4.0.conv2.weight' ends at byte", "weights", "inspect", "{w}/bad/truncated.safetensors"),
        ["inspect a text file as weights"] = C(Invalid, "not a safetensors file", "weights", "inspect", "{w}/bad/not-weights.safetensors"),
        ["segment with a grading checkpoint"] = C(Invalid, "is a grading model (resnet10-w16, side left), not a segmentation model",
            "segment", "predict", "{w}/run/left/model.safetensors", "{w}/ph/images/ph00001.png", "-o", "{out}"),
        ["segment with weights that lost their description"] = C(Invalid, "bare.json: the model's description is missing",
            "segment", "predict", "{w}/bad/bare.safetensors", "{w}/ph/images/ph00001.png", "-o", "{out}"),
        ["train an opacity map from zone scores on a manifest without them"] = C(Invalid, "manifest.csv: no zone score columns (brixia_a_r1",
            "segment", "train-zones", "-m", "{w}/ph/manifest.csv", "-o", "{out}", "--arch", "unet-w8", "--size", "64"),
        // 5. A PACS (port 9, discard, has no listener on a test machine: the connection is refused).
        ["grade a study on a PACS that is down"] = C(Invalid, "the PACS at http://127.0.0.1:9/dicom-web/ cannot be reached (connection refused",
            "grade-study", "--pacs", "http://127.0.0.1:9/dicom-web/", "--study", "1.2.3", "--run", "{w}/run", "-o", "{out}"),
        ["grade a study with a PACS address that is not a URL"] = C(Usage, "--pacs: 'pacs:8042' is not an http(s) URL",
            "grade-study", "--pacs", "pacs:8042", "--study", "1.2.3", "--run", "{w}/run", "-o", "{out}"),
        ["grade a study with a run folder that is not there"] = C(Invalid, "run folder not found",
            "grade-study", "--pacs", "http://127.0.0.1:9/dicom-web/", "--study", "1.2.3", "--run", "{w}/nowhere", "-o", "{out}"),
        ["train from pretrained weights that are not there"] = T(Invalid, "nowhere.safetensors", "{w}/ph/manifest.csv", "{w}/s1.json", "{out}",
            "--pretrained", "{w}/nowhere.safetensors"),
        ["export a folder that is not a run to ONNX"] = C(Invalid, "not a finished `pleura train`", "export", "onnx", "{w}/bad", "-o", "{out}"),
        ["export to ONNX without an output folder"] = C(Usage, "--out", "export", "onnx", "{w}/run"),
        // 6. The server: every mistake stops it before it listens.
        ["serve without an API key"] = C(Usage, "no API key configured", "serve", "{w}/run", "--port", "0"),
        ["serve with an API key file that is not there"] = C(Invalid, "API key file not found", "serve", "{w}/run", "--api-key-file", "{w}/nowhere.txt"),
        ["serve a folder that is not a run"] = C(Invalid, "no left/model.safetensors or right/model.safetensors", "serve", "{w}/bad", "--api-key-file", "{w}/keys.txt"),
        ["serve with an empty API key file"] = C(Invalid, "empty-keys.txt: the API key file holds no key", "serve", "{w}/run", "--api-key-file", "{w}/empty-keys.txt"),
        ["serve on a host that is not an address"] = C(Usage, "--host: 'localhost:80' is not an IP address", "serve", "{w}/run", "--api-key-file", "{w}/keys.txt", "--host", "localhost:80"),
        ["serve with a PACS address that is not a URL"] = C(Usage, "--pacs: 'pacs:8042' is not an http(s) URL", "serve", "{w}/run", "--api-key-file", "{w}/keys.txt", "--pacs", "pacs:8042"),
        ["serve with a view check that is not a classifier run"] = C(Invalid, "no fold models", "serve", "{w}/run", "--api-key-file", "{w}/keys.txt", "--view", "{w}/run"),
        ["explain a grading run as a classifier"] = C(Invalid, "no fold models", "classify", "explain", "{w}/run", "-o", "{out}"),
        ["evaluate a grading run as a classifier"] = C(Invalid, "no fold models", "classify", "evaluate", "{w}/run", "{w}/ph", "-o", "{out}"),
    };

    public static IEnumerable<object[]> Names => Cases.Keys.Select(k => new object[] { k });

    [Fact]
    public void TheCatalogueHasAtLeastFortyCases() => Assert.True(Cases.Count >= 40, $"{Cases.Count} cases");

    /// <summary>
    /// `predict` on a DICOM file (img2dcm of a phantom, no extension, in a folder) grades it exactly as the same
    /// rendered pixels saved as a 16-bit PNG: the file goes through the one reader.
    /// </summary>
    [SkippableFact]
    public void PredictGradesADicomFileAsItsRenderedPng()
    {
        Pleura.Tests.Dicom.DicomPhantoms.RequireDcmtk();
        using var scratch = new TempFolder();
        var dcm = Pleura.Tests.Dicom.DicomPhantoms.FromPng(_world.File("ph/images/ph00003.png"), scratch.File("export/IM0001"), "Modality=CR");
        var rendered = Pleura.Imaging.RadiographReader.RenderDicom(dcm);
        Pleura.Imaging.PngWriter.WriteGrey16(scratch.File("png/IM0001.png"), rendered.Pixels, rendered.Width, rendered.Height);

        var (code, printed) = CliRunner.RunCaptured("predict", _world.File("run"), scratch.File("export"), "-o", scratch.File("dicom.csv"));
        Assert.True(code == 0, printed);
        Assert.Contains("1 images graded; 0 unreadable", printed);
        (code, printed) = CliRunner.RunCaptured("predict", _world.File("run"), scratch.File("png/IM0001.png"), "-o", scratch.File("png.csv"));
        Assert.True(code == 0, printed);
        static string[] Graded(string csv) => File.ReadAllLines(csv).Select(l => l.Replace(".png", "")).ToArray();
        var dicom = Graded(scratch.File("dicom.csv"));
        Assert.Equal(3, dicom.Length); // header, left, right
        Assert.Equal(Graded(scratch.File("png.csv")).Select(l => l.Replace(scratch.File("png"), "")), dicom.Select(l => l.Replace(scratch.File("export"), "")));
    }

    /// <summary>A split made from another version of the manifest whose patients and images agree exactly (a grade changed) is used, with a note.</summary>
    [Fact]
    public void EvaluateWithASplitOfAnotherManifestVersionWithTheSamePatientsAndImagesIsAccepted()
    {
        using var scratch = new TempFolder();
        var (code, printed) = CliRunner.RunCaptured("evaluate", _world.File("run"), "-m", _world.File("ph/regraded.csv"), "-s", _world.File("s1.json"), "-o", scratch.File("eval"));
        Assert.True(code == 0, printed);
        Assert.True(printed.Contains("agree exactly, so it is used", StringComparison.Ordinal), printed);
    }

    /// <summary>A grading run that keeps its split beside its models (as the demo's does) is not taken for a classifier run missing folds.</summary>
    [Fact]
    public void AGradingRunWithItsSplitBesideItIsCompleteForExport()
    {
        using var scratch = new TempFolder();
        foreach (var file in Directory.GetFiles(_world.File("run"), "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(scratch.File("run"), Path.GetRelativePath(_world.File("run"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
        File.Copy(_world.File("s1.json"), scratch.File("run/split.json"));
        var (code, printed) = CliRunner.RunCaptured("export", "onnx", scratch.File("run"), "-o", scratch.File("onnx"));
        Assert.True(code == 0, printed);
        Assert.True(File.Exists(scratch.File("onnx/left.onnx")));
    }

    /// <summary>
    /// A rerun of `evaluate` into its own folder replaces its results; the same folder for another part of the split is
    /// another evaluation's and is refused, its results unchanged.
    /// </summary>
    [Fact]
    public void EvaluateAgainIntoItsOwnFolderReplacesItsResultsAndAnotherPartIsRefused()
    {
        using var scratch = new TempFolder();
        string[] Evaluate(string part) => new[] { "evaluate", _world.File("run"), "-m", _world.File("ph/manifest.csv"), "-s", _world.File("s1.json"),
            "--part", part, "--bootstrap", "0", "--hcs", "false", "-o", scratch.File("eval") };
        var (code, printed) = CliRunner.RunCaptured(Evaluate("test"));
        Assert.True(code == 0, printed);
        File.WriteAllText(scratch.File("eval/metrics.json"), "stale");
        (code, printed) = CliRunner.RunCaptured(Evaluate("test"));
        Assert.True(code == 0, printed);
        Assert.NotEqual("stale", File.ReadAllText(scratch.File("eval/metrics.json")));
        var before = FolderSnapshot.Of(scratch.Path);
        (code, printed) = CliRunner.RunCaptured(Evaluate("oob"));
        Assert.Equal(Invalid, code);
        Assert.True(printed.Contains("eval is not this evaluation's folder: part Test there, OutOfBox now", StringComparison.Ordinal), printed);
        Assert.Equal(before, FolderSnapshot.Of(scratch.Path));
    }

    /// <summary>
    /// `--allow-incomplete` answers from a run stopped during the right lung for the left lung only, and every output
    /// says so: `predict`'s CSV (a row per image with no grade) and JSON, `evaluate`'s tables (no mean over sides),
    /// the server's answer and model card; the server stores no report in a PACS from it.
    /// </summary>
    [Fact]
    public async Task ARunStoppedDuringTheRightLungAnswersForTheLeftLungOnlyWithAllowIncompleteAndSaysSoEverywhere()
    {
        using var scratch = new TempFolder();
        const string Note = "training of the right lung model did not finish; no grade for that lung (--allow-incomplete)";
        var image = _world.File("ph/images/ph00001.png");
        var (code, printed) = CliRunner.RunCaptured("predict", _world.File("half"), image, "-o", scratch.File("p.csv"), "--allow-incomplete");
        Assert.True(code == 0, printed);
        Assert.Contains(Note, printed, StringComparison.Ordinal);
        var rows = File.ReadAllLines(scratch.File("p.csv"));
        Assert.Equal(3, rows.Length);
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(image)},left,,[0-3],", rows[1]);
        Assert.Equal($"{image},right,,training_not_finished,,,,,", rows[2]);
        using (var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(scratch.File("p.json"))))
        {
            Assert.Equal("right", Assert.Single(json.RootElement.GetProperty("unfinished_sides").EnumerateArray()).GetString());
            Assert.Contains(Note, json.RootElement.GetProperty("note").GetString(), StringComparison.Ordinal);
            Assert.All(json.RootElement.GetProperty("predictions").EnumerateArray(), p => Assert.Equal("left", p.GetProperty("side").GetString()));
        }

        (code, printed) = CliRunner.RunCaptured("evaluate", _world.File("half"), "-m", _world.File("ph/manifest.csv"), "-s", _world.File("s1.json"),
            "--bootstrap", "0", "--hcs", "false", "-o", scratch.File("eval"), "--allow-incomplete");
        Assert.True(code == 0, printed);
        Assert.Contains(Note, printed, StringComparison.Ordinal);
        var metrics = File.ReadAllText(scratch.File("eval/metrics.csv"));
        Assert.Contains("right,0,training_not_finished,1,", metrics, StringComparison.Ordinal);
        Assert.Contains("left,", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(Pleura.Grading.CheckpointEvaluation.MeanOfSides, metrics, StringComparison.Ordinal);
        Assert.Contains(",right,,training_not_finished,", File.ReadAllText(scratch.File("eval/predictions.csv")), StringComparison.Ordinal);
        Assert.Contains("training_not_finished", File.ReadAllText(scratch.File("eval/metrics.json")), StringComparison.Ordinal);

        const string Key = "allow-incomplete-test-key-0123456789";
        await using var server = await Pleura.Server.PleuraServer.Start(new Pleura.Server.ServeOptions
        {
            Runs = new[] { _world.File("half") }, Port = 0, ApiKeys = new[] { Key }, AllowIncomplete = true, TempFolder = scratch.File("serve"), JsonLogs = false,
        });
        using var client = new HttpClient { BaseAddress = new Uri(server.Addresses[0]) };
        client.DefaultRequestHeaders.Add("X-API-Key", Key);
        using var content = new ByteArrayContent(File.ReadAllBytes(image));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        using var answer = await client.PostAsync("/v1/grade", content);
        Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
        using (var json = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync()))
        {
            Assert.Equal("left", Assert.Single(json.RootElement.GetProperty("sides").EnumerateArray()).GetProperty("side").GetString());
            Assert.Equal("right", Assert.Single(json.RootElement.GetProperty("unfinished_sides").EnumerateArray()).GetString());
            Assert.Contains(Note, json.RootElement.GetProperty("note").GetString(), StringComparison.Ordinal);
        }
        Assert.Contains("\"unfinished_sides\":[\"right\"]", (await client.GetStringAsync("/v1/models")).Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    /// <summary>`serve` on a port another program holds: one line that says so, no logged stack trace, no temporary folder left.</summary>
    [Fact]
    public void ServeOnAPortInUseSaysSoInOneLineAndLeavesNoTemporaryFolder()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        int port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        string Pattern() => $"pleura-serve-{Environment.ProcessId}-*";
        var before = Directory.GetDirectories(Path.GetTempPath(), Pattern());
        var (stdout, stderr) = (Console.Out, Console.Error);
        var logged = new StringWriter();
        Console.SetOut(logged);
        Console.SetError(logged);
        int code;
        string printed;
        try { (code, printed) = CliRunner.RunCaptured("serve", _world.File("run"), "--api-key-file", _world.File("keys.txt"), "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
        Assert.True(code == Invalid, printed);
        Assert.Contains("address already in use", printed, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", printed + logged, StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed to start", logged.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetDirectories(Path.GetTempPath(), Pattern()));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BadInputIsRefusedWithItsReasonAndChangesNothing(string name)
    {
        var c = Cases[name];
        using var scratch = new TempFolder();
        var output = Path.Combine(scratch.Path, "out");
        var args = c.Args.Select(a => a.Replace("{w}", _world.Path).Replace("{out}", output)).ToArray();
        var before = _world.Snapshot();

        var (code, printed) = CliRunner.RunCaptured(args);

        Assert.True(printed.Contains(c.Message, StringComparison.Ordinal), $"{name}: expected \"{c.Message}\" in:\n{printed}");
        Assert.Equal(c.Code, code);
        Assert.DoesNotContain("Exception", printed);
        Assert.DoesNotContain("Description:", printed); // a usage error is not the whole help page
        Assert.Equal(before, _world.Snapshot());
        Assert.False(Path.Exists(output), $"{name}: {output} was written");
    }
}
