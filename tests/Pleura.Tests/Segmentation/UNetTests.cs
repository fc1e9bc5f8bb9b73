using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Networks;
using Pleura.Networks.Backbones;
using Pleura.Networks.Segmentation;
using Pleura.Networks.Weights;
using Pleura.Phantoms;
using Pleura.Segmentation;
using Pleura.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pleura.Tests.Segmentation;

public class UNetTests(ITestOutputHelper output)
{
    [Fact]
    public void OutputsOneChannelPerStructureAtTheInputSize()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(new long[] { 2, 3, 64, 64 }, new UNet(1, 3, width: 8).call(rand(2, 1, 64, 64)).shape);
        Assert.Equal(new long[] { 1, 2, 64, 96 }, new ResNetUNet("resnet18", 3, 2).call(rand(1, 3, 64, 96)).shape);
        Assert.Throws<ArgumentException>(() => new UNet(1, 1, 8).call(rand(1, 1, 40, 40)));
    }

    [Fact]
    public void TheEncoderTakesTorchvisionResNetWeights()
    {
        using var scope = NewDisposeScope();
        var unet = new ResNetUNet("resnet18", 3, 2);
        var encoderKeys = StateDicts.Ordered(unet).Select(kv => kv.Key).Where(k => k.StartsWith(ResNetUNet.EncoderPrefix)).Select(k => k[ResNetUNet.EncoderPrefix.Length..]);
        var resnet = ResNet.ResNet18(1000);
        Assert.Equal(StateDicts.Ordered(resnet).Select(kv => kv.Key).Where(k => !k.StartsWith("fc.")), encoderKeys.Where(k => !k.StartsWith("fc.")));
        var weights = StateDicts.Ordered(resnet).Select(kv => new KeyValuePair<string, Tensor>(ResNetUNet.EncoderPrefix + kv.Key, kv.Value));
        var decoder = StateDicts.Ordered(unet).Where(kv => !kv.Key.StartsWith(ResNetUNet.EncoderPrefix)).ToList();
        var merged = weights.Where(kv => !kv.Key.StartsWith("encoder.fc.")).Concat(decoder);
        var report = WeightLoader.Load(unet, merged, skipHeadPrefix: "encoder.fc.");
        Assert.Contains("encoder.fc.weight", report.SkippedHead);
        Assert.True(StateDicts.Ordered(unet).Single(kv => kv.Key == "encoder.layer4.1.conv2.weight").Value
            .allclose(StateDicts.Ordered(resnet).Single(kv => kv.Key == "layer4.1.conv2.weight").Value, 0, 0));
    }

    [Fact]
    public void LearnsPhantomLungs()
    {
        using var scope = NewDisposeScope();
        const int size = 64, count = 48;
        Tensor Images(int seed, int n, out Tensor masks) => PhantomLungs(seed, n, size, bothLungs: true, out masks);
        var train = Images(1, count, out var trainMasks);
        var validation = Images(3, 8, out var validationMasks);
        var test = Images(2, 16, out var testMasks);
        var settings = new SegmentationSettings { Epochs = 25, BatchSize = 8, LearningRate = 3e-3, Patience = 25 };
        using var dir = new TempFolder();
        var unet = SeededInit.Create(1, () => new UNet(1, 2, width: 8));
        var result = new SegmentationTrainer(unet, settings, dir.Path).Train(train, trainMasks, validation, validationMasks);
        var losses = result.History.Select(h => h.TrainLoss).ToList();
        var predicted = SegmentationTraining.Predict(unet, test);
        var truth = testMasks.to_type(ScalarType.Bool).contiguous().data<bool>().ToArray();
        double dice = Enumerable.Range(0, 16).SelectMany(i => Enumerable.Range(0, 2).Select(c =>
            SegmentationMetrics.Compute(predicted[i][c], truth.AsSpan((i * 2 + c) * size * size, size * size), size, size).Dice)).Average();
        output.WriteLine($"loss {losses[0]:0.000} -> {losses[^1]:0.000}; test Dice {dice:0.000}");
        Assert.True(losses[^1] < losses[0] / 2, $"loss {losses[0]} -> {losses[^1]}");
        Assert.True(dice > 0.8, $"mean lung Dice {dice:0.000}");
    }

    [Fact]
    public void AStoppedSegmentationRunResumesToTheSameWeightsAndStopsEarly()
    {
        const int size = 32;
        Tensor Images(int seed, int n, out Tensor masks) => PhantomLungs(seed, n, size, bothLungs: false, out masks);
        var train = Images(4, 24, out var trainMasks);
        var validation = Images(5, 8, out var validationMasks);
        var settings = new SegmentationSettings { Epochs = 6, BatchSize = 8, LearningRate = 3e-3, Patience = 10 };
        using var a = new TempFolder();
        using var b = new TempFolder();
        var whole = SeededInit.Create(2, () => new UNet(1, 1, width: 8));
        var interrupted = Twins.Of(whole, () => new UNet(1, 1, width: 8));
        new SegmentationTrainer(whole, settings, a.Path).Train(train, trainMasks, validation, validationMasks);

        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => new SegmentationTrainer(interrupted, settings, b.Path)
            .Train(train, trainMasks, validation, validationMasks, e => { if (e.Epoch == 3) cancel.Cancel(); }, cancel.Token));
        var resumed = SeededInit.Create(99, () => new UNet(1, 1, width: 8));
        var result = new SegmentationTrainer(resumed, settings, b.Path).Train(train, trainMasks, validation, validationMasks);
        Assert.Equal(6, result.History.Count);
        foreach (var (x, y) in StateDicts.Ordered(whole).Zip(StateDicts.Ordered(resumed)))
            Assert.True(x.Value.to_type(ScalarType.Float64).allclose(y.Value.to_type(ScalarType.Float64), 0, 0), $"{x.Key} differs after resume");

        // A learning rate this large makes no progress: early stopping ends the run and keeps the best epoch's weights.
        using var c = new TempFolder();
        var stopped = new SegmentationTrainer(new UNet(1, 1, width: 8), settings with { LearningRate = 5, Epochs = 40, Patience = 3 }, c.Path)
            .Train(train, trainMasks, validation, validationMasks);
        Assert.StartsWith("early stop", stopped.StopReason);
        Assert.True(stopped.History.Count < 40);
    }

    /// <summary>Phantom images (N x 1 x S x S) and their lung masks: the left lung, or left and right as two channels.</summary>
    static Tensor PhantomLungs(int seed, int n, int size, bool bothLungs, out Tensor masks)
    {
        var pixels = new List<float>();
        var values = new List<float>();
        for (int i = 0; i < n; i++)
        {
            var p = PhantomDataset.RenderOne(seed, i, size, i % 4, (i + 1) % 4);
            pixels.AddRange(p.Image);
            values.AddRange(p.LeftLung.Select(v => v ? 1f : 0f));
            if (bothLungs) values.AddRange(p.RightLung.Select(v => v ? 1f : 0f));
        }
        masks = tensor(values.ToArray(), new long[] { n, bothLungs ? 2 : 1, size, size });
        return tensor(pixels.ToArray(), new long[] { n, 1, size, size });
    }
}

/// <summary>METHOD's opacity network: a U-Net whose ResNet-18 encoder starts from ImageNet and is fed as those weights expect.</summary>
public class ImageNetEncoderTests
{
    [Fact]
    public void AGreyUNetEncoderStartsFromImageNetAndItsModelKeepsTheRecipe()
    {
        using var dir = new TempFolder();
        using var scope = NewDisposeScope();
        var (imagenet, _, _) = ImageNetWeights.Import(ImageNetWeights.OnnxPath(), ImageNetWeights.Architecture);
        string weights = Path.Combine(dir.Path, "imagenet.safetensors");
        Checkpoint.Save(weights, imagenet, new CheckpointInfo
        {
            Architecture = ImageNetWeights.Architecture, Classes = new[] { "a", "b", "c", "d" }, InputSize = 224, InputChannels = 3, Input = InputRecipe.ImageNetCntk,
        });

        // The grey encoder's first convolution is the sum of the RGB kernels (the recipe's spreads are 1).
        var unet = (ResNetUNet)SegmentationArchitectures.Create("resnet18-cntk-unet", 1, 2);
        PretrainedStart.Load(unet.Encoder, "fc.", weights);
        var rgb = StateDicts.Ordered(imagenet).Single(kv => kv.Key == "conv1.weight").Value;
        var grey = StateDicts.Ordered(unet).Single(kv => kv.Key == "encoder.conv1.weight").Value;
        Assert.True(grey.allclose(rgb.sum(1, keepdim: true), 1e-5, 1e-6));

        // Trained through the job, the model file records the recipe and every later use applies it.
        var data = Path.Combine(dir.Path, "phantoms");
        PhantomDataset.Generate(new PhantomOptions { Count = 12, Size = 64, Seed = 4 }, data);
        var structures = new[] { "left_lung", "right_lung" };
        var examples = SegmentationExamples.FromFolders(Path.Combine(data, "images"),
            structures.Select(s => new StructureMasks(s, Path.Combine(data, "masks", s))).ToList());
        string model = Path.Combine(dir.Path, "lungs.safetensors");
        SegmentationJob.Train(examples, structures, model, "resnet18-cntk-unet", 64, epochs: 1, batchSize: 4, learningRate: 1e-3, testFraction: 0.25, seed: 1,
            pretrained: weights);
        var (_, loadedStructures, size, recipe) = SegmentationCheckpoint.Load(model);
        Assert.Equal(structures, loadedStructures);
        Assert.Equal(64, size);
        Assert.Equal(InputRecipe.ImageNetCntk.Description, recipe.Description);
    }
}

public class SegmentationSourceTests
{
    [Fact]
    public void AManifestTakesMaskFoldersAndLeavesOutTheExcludedPatients()
    {
        using var dir = new TempFolder();
        var data = Path.Combine(dir.Path, "phantoms");
        var manifest = PhantomDataset.Generate(new PhantomOptions { Count = 24, Size = 32, Seed = 5 }, data);
        var folders = new[] { "left_lung", "right_lung" }.Select(s => (s, Path.Combine(data, "masks", s))).ToList();

        var all = SegmentationExamples.FromManifest(manifest, folders);
        Assert.Equal(manifest.Rows.Count, all.Count);
        Assert.All(all, e => Assert.Equal(Path.GetFileName(e.Image), Path.GetFileName(e.Masks[0])));
        Assert.Equal(manifest.Rows.Select(r => r.PatientId), all.Select(e => e.Patient));

        var excluded = manifest.Rows.Take(5).Select(r => r.PatientId).ToHashSet();
        var rest = SegmentationExamples.FromManifest(manifest, folders, excluded);
        Assert.Equal(manifest.Rows.Count(r => !excluded.Contains(r.PatientId)), rest.Count);
        Assert.DoesNotContain(rest, e => excluded.Contains(e.Patient!));

        var error = Assert.Throws<InvalidDataException>(() => SegmentationExamples.FromManifest(manifest, new[] { ("left_lung", "no_such_column") }));
        Assert.Contains("no_such_column", error.Message);
    }

    [Fact]
    public void HoldOutPartsKeepEachPatientTogetherAndSinglePatientsGiveTheSeededImageHoldOut()
    {
        var patients = Enumerable.Range(0, 60).Select(i => $"p{i / 3}").ToList();   // three images per patient
        var (test, validation, training) = SegmentationJob.HoldOut(patients, 0.2, seed: 3);
        Assert.Equal(60, test.Count + validation.Count + training.Count);
        Assert.Equal(60, test.Concat(validation).Concat(training).Distinct().Count());
        var parts = new[] { test, validation, training }.Select(p => p.Select(i => patients[i]).ToHashSet()).ToList();
        Assert.Empty(parts[0].Intersect(parts[1]));
        Assert.Empty(parts[0].Intersect(parts[2]));
        Assert.Empty(parts[1].Intersect(parts[2]));
        Assert.Equal(12, test.Count);

        // One image per patient (JSRT): the same parts as a seeded shuffle of the images.
        var single = Enumerable.Range(0, 50).Select(i => $"i{i}").ToList();
        var random = new Random(7);
        var order = Enumerable.Range(0, 50).OrderBy(_ => random.Next()).ToList();
        var (t, v, r) = SegmentationJob.HoldOut(single, 0.1, seed: 7);
        Assert.Equal(order.Take(5), t);
        Assert.Equal(order.Skip(5).Take(4), v);
        Assert.Equal(order.Skip(9), r);
    }
}
