using Pleura.Evaluation;
using Pleura.Explainability;
using Pleura.Networks;
using Pleura.Phantoms;
using Pleura.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pleura.Tests.Explainability;

/// <summary>
/// Does HCS measure what it should? A left-lung grader trained on phantoms must look at the left lung more than one
/// trained on shuffled labels (which learns nothing about the lung) and more than a uniform heatmap would.
/// </summary>
public class AttentionTests(ITestOutputHelper output)
{
    [Fact]
    public void AModelTrainedOnRealLabelsLooksAtItsLungMoreThanOneTrainedOnShuffledLabels()
    {
        const int size = 96;
        var (real, _) = Set(60, 400, size, shuffle: false);
        var (shuffled, _) = Set(60, 400, size, shuffle: true);
        var (validation, _) = Set(61, 80, size, shuffle: false);
        var (_, test) = Set(62, 60, size, shuffle: false);
        // Uniform attention would put this share on the left lung.
        double chance = test.Average(p => p.LeftLung.Count(v => v) / (double)p.LeftLung.Length);

        double Attention(LabelledImages train, int seed)
        {
            using var dir = new TempFolder();
            var model = SeededInit.Create(8, () => Architectures.Get("resnet10-w16").Create(4, 1));
            var config = new TrainingConfig
            {
                Architecture = "resnet10-w16", ImageSize = size, InputChannels = 1, BatchSize = 32, Stage1Epochs = 1, Stage2Epochs = 15,
                Stage1LearningRate = 3e-3, Stage2LearningRate = 2e-3, UnfreezeConvLayers = -1, Seed = seed,
            };
            new Trainer(model, "fc.", config, dir.Path).Train(train, validation);
            // layer3 (6 x 6 at 96 px) resolves a lung; layer4's 3 x 3 cells each straddle lung and background.
            var explained = SideHeatmap.Explain("left", model, "layer3", test.Select(p => p.Image).ToList(), size, 1);
            return explained.Select((e, i) => HeatmapConcordance.Weighted(e.Heatmap, test[i].LeftLung)).Average();
        }

        // One training's heatmaps depend on its seed and on the CPU's float order: seed 3 alone gave real 0.155-0.160 on
        // one machine and 0.083 on an AVX2-only EPYC (where seeds 4 and 5 gave 0.188 and 0.173), while shuffled labels
        // gave 0.104-0.114 everywhere. So the real-label models are three seeds, averaged; one shuffled model suffices.
        var perSeed = new[] { 3, 4, 5 }.Select(seed => Attention(real, seed)).ToList();
        double onLungReal = perSeed.Average(), onLungShuffled = Attention(shuffled, 3);
        output.WriteLine($"share of heatmap on the left lung: real labels {onLungReal:0.000} (seeds 3, 4, 5: {string.Join(", ", perSeed.Select(v => v.ToString("0.000")))}), shuffled {onLungShuffled:0.000}, uniform {chance:0.000}");
        Assert.True(onLungReal > onLungShuffled + 0.025, $"real {onLungReal:0.000} vs shuffled {onLungShuffled:0.000}");
        Assert.True(onLungReal > chance + 0.02, $"real {onLungReal:0.000} vs uniform {chance:0.000}");
        real.Dispose();
        shuffled.Dispose();
        validation.Dispose();
    }

    static (LabelledImages Set, List<Phantom> Phantoms) Set(int seed, int count, int size, bool shuffle)
    {
        var random = new Random(seed);
        var phantoms = Enumerable.Range(0, count).Select(i => PhantomDataset.RenderOne(seed, i, size, random.Next(4), random.Next(4))).ToList();
        var labels = phantoms.Select(p => p.LeftGrade).ToList();
        if (shuffle) labels = labels.OrderBy(_ => random.Next()).ToList();
        return (LabelledImages.FromPixels(phantoms.Select(p => p.Image).ToList(), size, labels), phantoms);
    }
}
