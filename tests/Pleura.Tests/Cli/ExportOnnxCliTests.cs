using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Networks.Weights;

namespace Pleura.Tests.Cli;

/// <summary>`pleura export onnx` on a real (tiny) trained run and on a classifier-shaped run; bad run folders refused.</summary>
[Collection("console")]
public class ExportOnnxCliTests
{
    [Fact]
    public void TrainedRunExportsFilesThatGradeAsPredictDoes()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, CliRunner.Run("phantoms", "--count", "60", "--size", "64", "--seed", "3", "--out", dir.File("ph")));
        Assert.Equal(0, CliRunner.Run("split", dir.File("ph/manifest.csv"), "--out", dir.File("split.json"), "--seed", "1"));
        Assert.Equal(0, CliRunner.Run("train", "-m", dir.File("ph/manifest.csv"), "-s", dir.File("split.json"), "-o", dir.File("run"),
            "--arch", "resnet10-w16", "--size", "64", "--epochs1", "1", "--epochs2", "1", "--batch", "16", "--seed", "1", "--grey", "sum"));

        var (code, output) = CliRunner.RunCaptured("export", "onnx", dir.File("run"), "-o", dir.File("onnx"));
        Assert.True(code == 0, output);
        foreach (var name in new[] { "left.onnx", "right.onnx", "export.json", "README.md" }) Assert.True(File.Exists(dir.File("onnx/" + name)), name);
        using var description = JsonDocument.Parse(File.ReadAllText(dir.File("onnx/export.json")));
        var models = description.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(new[] { "left.onnx", "right.onnx" }, models.Select(m => m.GetProperty("file").GetString()));
        Assert.Equal(new[] { "left", "right" }, models.Select(m => m.GetProperty("side").GetString()));
        Assert.Contains("left.onnx", File.ReadAllText(dir.File("onnx/README.md")));

        // The exported files against `pleura predict` on the same image files, read as Pleura reads them.
        var images = Directory.GetFiles(dir.File("ph/images"), "*.png").Order(StringComparer.Ordinal).Take(4).ToArray();
        Assert.Equal(0, CliRunner.Run(new[] { "predict", dir.File("run") }.Concat(images).Concat(new[] { "-o", dir.File("pred.csv") }).ToArray()));
        using var predicted = JsonDocument.Parse(File.ReadAllText(dir.File("pred.json")));
        var pixels = images.SelectMany(f => RadiographReader.ReadResized(f, 64, 64).Pixels).ToArray();
        foreach (var side in new[] { "left", "right" })
        {
            var info = Checkpoint.ReadInfo(dir.File($"run/{side}/model.safetensors"));
            using var session = new InferenceSession(dir.File($"onnx/{side}.onnx"));
            var input = new DenseTensor<float>(pixels, new[] { images.Length, 1, 64, 64 });
            using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("image", input) });
            var onnx = results.Single(r => r.Name == "probabilities").AsTensor<float>().ToArray();
            var pleura = predicted.RootElement.GetProperty("predictions").EnumerateArray().Where(p => p.GetProperty("side").GetString() == side)
                .SelectMany(p => p.GetProperty("probabilities").EnumerateArray().Select(v => v.GetSingle())).ToArray();
            Assert.Equal(pleura.Length, onnx.Length);
            double worst = pleura.Zip(onnx).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(worst <= 1e-4, $"{side}: max probability difference {worst:E2}");

            var metadata = session.ModelMetadata.CustomMetadataMap;
            Assert.Equal(side, metadata["pleura.side"]);
            Assert.Equal(info.DataFingerprint, metadata["pleura.data_fingerprint"]);
            Assert.Equal(info.SplitFingerprint, metadata["pleura.split_fingerprint"]);
            Assert.Equal(JsonSerializer.Serialize(info.Classes), metadata["pleura.classes"]);
            Assert.Equal(info.Decision.ToString(), metadata["pleura.decision"]);
        }

        // --check: each graph run in ONNX Runtime against Pleura on phantoms before it is written, the difference reported.
        (code, output) = CliRunner.RunCaptured("export", "onnx", dir.File("run"), "-o", dir.File("checked"), "--check", "--check-images", "5");
        Assert.True(code == 0, output);
        Assert.Contains("left: ONNX Runtime against Pleura on 5 phantom images: max |probability difference|", output);
        using (var checkedDescription = JsonDocument.Parse(File.ReadAllText(dir.File("checked/export.json"))))
            foreach (var model in checkedDescription.RootElement.GetProperty("models").EnumerateArray())
                Assert.InRange(model.GetProperty("check").GetProperty("max_probability_difference").GetDouble(), 0, 1e-4);

        // A run folder that is not one, and a run with a broken checkpoint description: exit 1, the path named, nothing written.
        Directory.CreateDirectory(dir.File("empty"));
        (code, output) = CliRunner.RunCaptured("export", "onnx", dir.File("empty"), "-o", dir.File("out1"));
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, code);
        Assert.Contains(dir.File("empty"), output);
        Assert.False(Directory.Exists(dir.File("out1")));

        (code, output) = CliRunner.RunCaptured("export", "onnx", dir.File("nowhere"), "-o", dir.File("out1"));
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, code);
        Assert.Contains("not found", output);
        Assert.False(Directory.Exists(dir.File("out1")));

        CopyFolder(dir.File("run/left"), dir.File("broken/left"));
        CopyFolder(dir.File("run/right"), dir.File("broken/right"));
        File.WriteAllText(dir.File("broken/right/model.json"), "{ \"format\": \"pleura-checkpoint/1\", truncated");
        (code, output) = CliRunner.RunCaptured("export", "onnx", dir.File("broken"), "-o", dir.File("out2"));
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, code);
        Assert.Contains("model.json", output);
        Assert.False(Directory.Exists(dir.File("out2")), "the left model must not be written when the right one fails");

        File.WriteAllText(dir.File("broken/right/model.json"), File.ReadAllText(dir.File("run/right/model.json")).Replace("\"resnet10-w16\"", "\"alexnet\""));
        (code, output) = CliRunner.RunCaptured("export", "onnx", dir.File("broken"), "-o", dir.File("out2"));
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, code);
        Assert.Contains("unknown architecture 'alexnet'", output);
        Assert.False(Directory.Exists(dir.File("out2")));
    }

    [Fact]
    public void ClassifierRunExportsEachFoldModel()
    {
        using var dir = new TempFolder();
        var classes = new[] { "covid", "normal", "viral" };
        foreach (var fold in new[] { 1, 2 })
        {
            using var model = SeededInit.Create(fold, () => Architectures.Get("resnet10-w16").Create(classes.Length, 1));
            var path = Pleura.Classification.ClassifierRun.CheckpointPath(dir.File("run"), fold);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            Checkpoint.Save(path, model, new CheckpointInfo { Architecture = "resnet10-w16", Classes = classes, InputSize = 32, InputChannels = 1, Fold = fold });
        }
        var (code, output) = CliRunner.RunCaptured("export", "onnx", dir.File("run"), "-o", dir.File("onnx"));
        Assert.True(code == 0, output);
        foreach (var fold in new[] { 1, 2 })
        {
            using var session = new InferenceSession(dir.File($"onnx/fold{fold}.onnx"));
            Assert.Equal(JsonSerializer.Serialize(classes), session.ModelMetadata.CustomMetadataMap["pleura.classes"]);
            Assert.Equal(new[] { -1, 3 }, session.OutputMetadata["probabilities"].Dimensions);
        }
        Assert.Contains("mean of its fold models", File.ReadAllText(dir.File("onnx/README.md")));
    }

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
