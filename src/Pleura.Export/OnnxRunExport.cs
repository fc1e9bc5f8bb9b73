using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pleura.Classification;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Files;
using Pleura.Grading;
using Pleura.Networks;
using Pleura.Networks.Export;
using Pleura.Networks.Weights;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Pleura.Export;

/// <summary>One exported model: its file, what it scores and how, and (with --check) how closely ONNX Runtime reproduced Pleura.</summary>
public sealed record ExportedModel(string File, string Checkpoint, string Model, CheckpointInfo Info, long Bytes, string Sha256, ExportCheck? Check);

/// <summary>The exported graph in ONNX Runtime against Pleura's own probabilities on the same phantom images.</summary>
public sealed record ExportCheck(int Images, double MaxProbabilityDifference, double MaxLogitDifference)
{
    /// <summary>The agreement an export must reach to be written.</summary>
    public const double Tolerance = 1e-4;
    public bool Passed => MaxProbabilityDifference <= Tolerance;
}

/// <summary>
/// `pleura export onnx`: every model of a grading run (left/, right/) or a classifier run (fold1/ ... foldK/) as an ONNX
/// file, plus <c>export.json</c> and a README describing them. All models are converted before anything is written, so
/// a run with one unreadable or unexportable checkpoint leaves the output folder as it was.
/// </summary>
public static class OnnxRunExport
{
    public const string DescriptionFile = "export.json";
    public const string ReadmeFile = "README.md";

    /// <summary>The run's checkpoints and the name each exported file gets ("left", "right", "fold1", ...).</summary>
    public static IReadOnlyList<(string Name, string Checkpoint)> Checkpoints(string runFolder)
    {
        if (!Directory.Exists(runFolder)) throw new DirectoryNotFoundException($"{runFolder}: run folder not found");
        RunRecord.RequireComplete(runFolder);
        ClassifierRun.RequireComplete(runFolder);
        var found = Side.Both.Select(s => (s.Name, Path: GradingRun.CheckpointPath(runFolder, s))).Where(c => File.Exists(c.Path)).ToList();
        for (int fold = 1; File.Exists(ClassifierRun.CheckpointPath(runFolder, fold)); fold++)
            found.Add(($"fold{fold}", ClassifierRun.CheckpointPath(runFolder, fold)));
        if (found.Count == 0)
            throw new FileNotFoundException($"{runFolder}: no left/model.safetensors, right/model.safetensors or fold1/model.safetensors; " +
                                            "not a finished `pleura train`, `pleura demo` or `pleura classify train` run");
        return found;
    }

    /// <param name="checkImages">When above 0, each graph is run in ONNX Runtime on this many phantom images before
    /// anything is written, and the export refused if its probabilities differ from Pleura's by more than
    /// <see cref="ExportCheck.Tolerance"/>.</param>
    public static IReadOnlyList<ExportedModel> Export(string runFolder, string outputFolder, Action<string>? log = null, int checkImages = 0)
    {
        var built = new List<(string Name, string Checkpoint, CheckpointInfo Info, byte[] Bytes, ExportCheck? Check)>();
        foreach (var (name, checkpoint) in Checkpoints(runFolder))
        {
            nn.Module<Tensor, Tensor> model;
            CheckpointInfo info;
            // An unknown architecture in a sidecar is a broken run, not a usage mistake.
            try { (model, info) = Checkpoint.Load(checkpoint); }
            catch (ArgumentException e) { throw new InvalidDataException($"{checkpoint}: {e.Message}", e); }
            using (model)
            {
                byte[] bytes;
                try { bytes = OnnxExport.ToBytes(model, info); }
                catch (InvalidDataException e) { throw new InvalidDataException($"{checkpoint}: {e.Message}", e); }
                var check = checkImages > 0 ? Check(model, info, bytes, checkImages) : null;
                if (check is not null)
                {
                    log?.Invoke($"{name}: ONNX Runtime against Pleura on {check.Images} phantom images: max |probability difference| {check.MaxProbabilityDifference:E2}, max |logit difference| {check.MaxLogitDifference:E2}");
                    if (!check.Passed)
                        throw new InvalidDataException($"{checkpoint}: the exported graph's probabilities differ from Pleura's by {check.MaxProbabilityDifference:E2} (over {ExportCheck.Tolerance:E0}); nothing written");
                }
                built.Add((name, checkpoint, info, bytes, check));
            }
            if (info.Roi != "none") log?.Invoke($"warning: {name} was trained on ROI '{info.Roi}': its graph takes the ROI image Pleura makes from lung masks, not the whole radiograph");
            if (info.TestTimeAugmentations > 0) log?.Invoke($"warning: {name}: Pleura averages {info.TestTimeAugmentations} augmented copies per image; the ONNX graph scores each image once");
        }
        Directory.CreateDirectory(outputFolder);
        var exported = new List<ExportedModel>();
        foreach (var (name, checkpoint, info, bytes, check) in built)
        {
            var file = Path.Combine(outputFolder, name + ".onnx");
            AtomicFile.WriteAllBytes(file, bytes);
            exported.Add(new(Path.GetFileName(file), Path.GetFullPath(checkpoint), name, info, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), check));
            log?.Invoke($"{name}: {info.Architecture}, {info.Classes.Count} classes, {info.InputSize}x{info.InputSize} -> {file} ({bytes.Length / 1e6:0.0} MB)");
        }
        AtomicFile.WriteAllText(Path.Combine(outputFolder, DescriptionFile), Description(runFolder, exported));
        AtomicFile.WriteAllText(Path.Combine(outputFolder, ReadmeFile), Readme(runFolder, exported));
        return exported;
    }

    /// <summary>Phantoms at the model's input size through Pleura (the `predict` path without test-time augmentation)
    /// and through the exported graph in ONNX Runtime.</summary>
    public static ExportCheck Check(nn.Module<Tensor, Tensor> model, CheckpointInfo info, byte[] onnx, int count)
    {
        using var scope = NewDisposeScope();
        using var phantoms = PhantomTensors.Left(seed: 7, count, info.InputSize);
        var grey = phantoms.Images.contiguous();
        var pleura = Inference.Probabilities(model, grey, info.InputChannels, info.Recipe).SelectMany(p => p).ToArray();
        float[] pleuraLogits;
        using (no_grad()) pleuraLogits = model.call(info.Recipe.Feed(grey, info.InputChannels)).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        using var session = new InferenceSession(onnx);
        var input = new DenseTensor<float>(grey.data<float>().ToArray(), new[] { count, 1, info.InputSize, info.InputSize });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, input) });
        var probabilities = results.Single(r => r.Name == OnnxExport.ProbabilitiesName).AsTensor<float>().ToArray();
        var logits = results.Single(r => r.Name == OnnxExport.LogitsName).AsTensor<float>().ToArray();
        return new ExportCheck(count, pleura.Zip(probabilities).Max(p => Math.Abs(p.First - p.Second)), pleuraLogits.Zip(logits).Max(p => Math.Abs(p.First - p.Second)));
    }

    static string Description(string runFolder, IReadOnlyList<ExportedModel> models) => JsonSerializer.Serialize(new
    {
        format = OnnxModelCard.Format,
        run = Path.GetFullPath(runFolder),
        exported_utc = DateTime.UtcNow,
        pleura_version = OnnxModelCard.PleuraVersion,
        pleura_commit = OnnxModelCard.PleuraCommit,
        opset = OnnxExport.Opset,
        input = OnnxExport.InputName,
        outputs = new[] { OnnxExport.LogitsName, OnnxExport.ProbabilitiesName },
        models = models.Select(m => new
        {
            file = m.File,
            model = m.Model,
            checkpoint = m.Checkpoint,
            bytes = m.Bytes,
            sha256 = m.Sha256,
            architecture = m.Info.Architecture,
            side = m.Info.Side,
            classes = m.Info.Classes,
            input = OnnxModelCard.InputDescription(m.Info),
            input_size = m.Info.InputSize,
            input_recipe = new { scale = m.Info.Recipe.Scale, channel_order = m.Info.Recipe.ChannelOrder, mean = m.Info.Recipe.Mean, std = m.Info.Recipe.Std, description = m.Info.Recipe.Description },
            network_input_channels = m.Info.InputChannels,
            roi = m.Info.Roi,
            decision = m.Info.Decision.ToString(),
            decision_rule = OnnxModelCard.DecisionRule(m.Info),
            test_time_augmentations = m.Info.TestTimeAugmentations,
            data_fingerprint = m.Info.DataFingerprint,
            split_fingerprint = m.Info.SplitFingerprint,
            fold = m.Info.Fold,
            check = m.Check is null ? null : new { images = m.Check.Images, max_probability_difference = m.Check.MaxProbabilityDifference, max_logit_difference = m.Check.MaxLogitDifference },
        }),
    }, JsonText.Indented);

    static string Readme(string runFolder, IReadOnlyList<ExportedModel> models)
    {
        var text = new StringBuilder();
        text.AppendLine("# Pleura models as ONNX").AppendLine();
        text.AppendLine($"Exported from `{Path.GetFullPath(runFolder)}` by Pleura {OnnxModelCard.PleuraVersion} (commit {OnnxModelCard.PleuraCommit}); ONNX opset {OnnxExport.Opset}, float32.").AppendLine();
        text.AppendLine("| file | model | architecture | classes | input | ROI | decision |").AppendLine("|---|---|---|---|---|---|---|");
        foreach (var m in models)
            text.AppendLine($"| `{m.File}` | {m.Model} | {m.Info.Architecture} | {string.Join(", ", m.Info.Classes)} | {m.Info.InputSize} x {m.Info.InputSize} | {m.Info.Roi} | {m.Info.Decision} |");
        text.AppendLine();
        text.AppendLine($"Input `{OnnxExport.InputName}`: float32, N x 1 x S x S (any N), the grey radiograph in [0, 1] as Pleura's readers make it (0 black, 1 white: 8-bit pixels / 255, 16-bit / 65535, DICOM rendered through its window), resized to S x S without keeping the aspect ratio (Pleura uses a Lanczos-3 reduction). " +
                        "Each graph applies its input recipe itself (scale, channel replication, means and spreads); feed it nothing else.");
        text.AppendLine($"Outputs: `{OnnxExport.LogitsName}` and `{OnnxExport.ProbabilitiesName}` (softmax over the classes), N x K. The grade is chosen from the probabilities by the model's decision rule (ArgMax: the most probable class; Expected: round(sum_k k p_k)).");
        if (models.Any(m => m.Model.StartsWith("fold", StringComparison.Ordinal)))
            text.AppendLine("A classifier run's answer is the mean of its fold models' probabilities (as `pleura classify predict` does).");
        if (models.Any(m => m.Info.Roi != "none"))
            text.AppendLine("Models trained on an ROI take the ROI image Pleura makes from lung masks (`pleura segment`), not the whole radiograph.");
        text.AppendLine().AppendLine("Each file's metadata (`pleura.*` keys) holds its input recipe, classes, side, training data and split fingerprints, decision rule and the Pleura version; `export.json` lists the same with each file's SHA-256.");
        text.AppendLine().AppendLine("```python").AppendLine("import onnxruntime, numpy as np");
        text.AppendLine($"session = onnxruntime.InferenceSession(\"{models[0].File}\")");
        text.AppendLine($"image = np.zeros((1, 1, {models[0].Info.InputSize}, {models[0].Info.InputSize}), np.float32)  # grey in [0, 1]");
        text.AppendLine("logits, probabilities = session.run(None, {\"image\": image})").AppendLine("```");
        return text.ToString();
    }
}
