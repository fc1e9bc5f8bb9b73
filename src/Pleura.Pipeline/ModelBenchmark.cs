using System.Diagnostics;
using Pleura.Networks;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pleura.Pipeline;

/// <summary>Throughput of one architecture: inference (float32 and bfloat16) and training, images per second.</summary>
public sealed record ModelThroughput(string Architecture, int BatchSize, int ImageSize, double InferencePerSecond, double Bf16InferencePerSecond,
    double TrainingPerSecond, double PeakResidentMegabytes);

/// <summary>
/// `pleura bench models`: times forward passes (eval mode, no gradients) and full training steps (forward, cross
/// entropy, backward, Adam) on random 3-channel input, after warm-up, with all cores.
/// </summary>
public static class ModelBenchmark
{
    public static ModelThroughput Measure(string architecture, int batchSize = 16, int imageSize = 224, double seconds = 20, Action<string>? log = null)
    {
        var model = SeededInit.Create(0, () => Architectures.Get(architecture).Create(4, 3));
        double peak = 0;
        void Sample() => peak = Math.Max(peak, ResidentMemory.CurrentMegabytes());

        using var input = ChannelsLast.Of(rand(batchSize, 3, imageSize, imageSize));
        using var labels = randint(0, 4, new long[] { batchSize });

        model.train();
        using var optimizer = optim.Adam(model.parameters(), 1e-4);
        double training = Time(() =>
        {
            using var scope = NewDisposeScope();
            var loss = F.cross_entropy(model.call(input), labels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            Sample();
        }, seconds / 3) * batchSize;
        log?.Invoke($"{architecture}: training {training:0.0} images/s");

        // Inference as `evaluate` and `predict` run it: eval mode, kernels channels-last (see Checkpoint.Load).
        ChannelsLast.Weights(model);
        model.eval();
        double inference = Time(() => { using var _ = no_grad(); using var scope = NewDisposeScope(); model.call(input); Sample(); }, seconds / 3) * batchSize;
        log?.Invoke($"{architecture}: inference {inference:0.0} images/s");

        // As `--precision bf16` runs it: the stem in float32, every other convolution in bfloat16.
        Precision.ConvolutionsToBFloat16(model);
        double bf16 = Time(() => { using var _ = no_grad(); using var scope = NewDisposeScope(); model.call(input); Sample(); }, seconds / 3) * batchSize;
        log?.Invoke($"{architecture}: bfloat16 inference {bf16:0.0} images/s");
        model.Dispose();
        return new ModelThroughput(architecture, batchSize, imageSize, inference, bf16, training, peak);
    }

    /// <summary>Batches per second: one warm-up call, then as many calls as fit in the time (at least three).</summary>
    static double Time(Action step, double seconds)
    {
        step();
        var clock = Stopwatch.StartNew();
        int calls = 0;
        while (calls < 3 || clock.Elapsed.TotalSeconds < seconds)
        {
            step();
            calls++;
        }
        return calls / clock.Elapsed.TotalSeconds;
    }
}

/// <summary>Cost of Grad-CAM for every class against a plain forward pass (`pleura bench explain`).</summary>
public sealed record ExplainThroughput(string Architecture, string Layer, double ForwardPerSecond, double ExplainPerSecond)
{
    public double CostInForwardPasses => ForwardPerSecond / ExplainPerSecond;
}

public static class ExplainBenchmark
{
    public static ExplainThroughput Measure(string architecture, int batchSize = 16, int imageSize = 224, double seconds = 20)
    {
        var model = SeededInit.Create(0, () => Architectures.Get(architecture).Create(4, 3));
        ChannelsLast.Weights(model);
        model.eval();
        using var input = ChannelsLast.Of(rand(batchSize, 3, imageSize, imageSize));
        string layer = Pleura.Explainability.GradCam.DefaultLayer(architecture);
        double forward = Repeat(() => { using var _ = no_grad(); using var scope = NewDisposeScope(); model.call(input); }, seconds / 2) * batchSize;
        double explain = Repeat(() => Pleura.Explainability.GradCam.Compute(model, layer, input), seconds / 2) * batchSize;
        model.Dispose();
        return new ExplainThroughput(architecture, layer, forward, explain);
    }

    static double Repeat(Action step, double seconds)
    {
        step();
        var clock = Stopwatch.StartNew();
        int calls = 0;
        while (calls < 3 || clock.Elapsed.TotalSeconds < seconds) { step(); calls++; }
        return calls / clock.Elapsed.TotalSeconds;
    }
}
