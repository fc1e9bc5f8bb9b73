using System.Diagnostics;
using Pleura.Networks;
using Pleura.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pleura.Benchmarks;

/// <summary>
/// Throughput of one architecture in images per second, each figure measured alone (one model resident, one kind of
/// step timed at a time). Training: forward, cross-entropy, backward, Adam. <see cref="TrainingPerSecond"/> trains
/// every parameter; <see cref="Stage1PerSecond"/> and <see cref="Stage2PerSecond"/> are the method's own steps as
/// the trainer runs them with the activation cache: the layers after the frozen prefix on the prefix's cached
/// outputs, training the head alone (stage 1) or the last convolutions and the classifier (stage 2). The bfloat16
/// figures are NaN when not measured.
/// </summary>
public sealed record ModelThroughput(string Architecture, int BatchSize, int ImageSize, double InferencePerSecond, double TrainingPerSecond,
    double Stage1PerSecond, double Stage2PerSecond, double Bf16InferencePerSecond, double Bf16TrainingPerSecond, double PeakResidentMegabytes);

/// <summary>
/// `pleura bench models`: Pleura's side of the comparison, on random 3-channel input after one warm-up step per
/// figure, with all cores. Inference as `evaluate` and `predict` run it (eval mode, no gradients, channels-last
/// kernels); training as the trainer runs it.
/// </summary>
public static class ModelBenchmark
{
    /// <param name="seconds">Time per figure (at least three timed steps whatever it says).</param>
    /// <param name="bf16">Also time bfloat16 inference and mixed-precision training (worth it only where the CPU has it natively).</param>
    public static ModelThroughput Measure(string architecture, int batchSize = 16, int imageSize = 224, double seconds = 5, bool bf16 = false, Action<string>? log = null)
    {
        var info = Architectures.Get(architecture);
        double peak = 0;
        void Sample() => peak = Math.Max(peak, ResidentMemory.CurrentMegabytes());
        using var input = ChannelsLast.Of(rand(batchSize, 3, imageSize, imageSize));
        using var labels = randint(0, 4, new long[] { batchSize });

        var model = SeededInit.Create(0, () => info.Create(4, 3));
        double training = Train(model, model.named_parameters().Select(p => p.name).ToHashSet(), model.call, input, labels, seconds, Sample);
        double stage2 = Stage(model, info, 2, input, labels, seconds, Sample);
        double stage1 = Stage(model, info, 1, input, labels, seconds, Sample);
        double inference = Infer(model, input, seconds, Sample);
        model.Dispose();
        log?.Invoke($"{architecture}: inference {inference:0.0}, training {training:0.0}, stage 1 {stage1:0.0}, stage 2 {stage2:0.0} images/s");

        double bf16Inference = double.NaN, bf16Training = double.NaN;
        if (bf16)
        {
            // As `--precision bf16` trains: convolutions after the stem in bfloat16 on float32 master weights.
            var mixed = SeededInit.Create(0, () => info.Create(4, 3));
            Precision.TrainConvolutionsInBFloat16(mixed);
            bf16Training = Train(mixed, mixed.named_parameters().Select(p => p.name).ToHashSet(), mixed.call, input, labels, seconds, Sample);
            mixed.Dispose();
            // As `--precision bf16` scores: the stem in float32, every other convolution in bfloat16.
            var lower = SeededInit.Create(0, () => info.Create(4, 3));
            Precision.ConvolutionsToBFloat16(lower);
            bf16Inference = Infer(lower, input, seconds, Sample);
            lower.Dispose();
            log?.Invoke($"{architecture}: bfloat16 inference {bf16Inference:0.0}, training {bf16Training:0.0} images/s");
        }
        return new ModelThroughput(architecture, batchSize, imageSize, inference, training, stage1, stage2, bf16Inference, bf16Training, peak);
    }

    /// <summary>Inference as Checkpoint.Load leaves a model: kernels channels-last, eval mode.</summary>
    static double Infer(nn.Module<Tensor, Tensor> model, Tensor input, double seconds, Action sample)
    {
        ChannelsLast.Weights(model);
        model.eval();
        return Time(() => { using var _ = no_grad(); using var scope = NewDisposeScope(); model.call(input); sample(); }, seconds) * input.shape[0];
    }

    /// <summary>One stage's steps on the frozen prefix's outputs for the batch, as the activation cache holds them.</summary>
    static double Stage(nn.Module<Tensor, Tensor> model, ArchitectureInfo info, int stage, Tensor input, Tensor labels, double seconds, Action sample)
    {
        var trainable = StageSteps.Trainable(model, stage, info.HeadPrefix, info.Stage2Prefix, info.DefaultUnfreeze);
        var stages = ((IStagedNetwork)model).Stages;
        int cut = NetworkStages.FrozenPrefixLength(stages, trainable);
        StageSteps.SetModes(model, trainable);
        Tensor cached;
        using (no_grad()) cached = NetworkStages.Run(stages, input, 0, cut).contiguous();
        using (cached) return Train(model, trainable, StageSteps.AfterCut(stages, cut), cached, labels, seconds, sample);
    }

    static double Train(nn.Module<Tensor, Tensor> model, IReadOnlySet<string> trainable, Func<Tensor, Tensor> forward, Tensor input, Tensor labels,
        double seconds, Action sample)
    {
        StageSteps.SetModes(model, trainable);
        using var adam = optim.Adam(StageSteps.Unfreeze(model, trainable), 1e-4);
        return Time(() =>
        {
            using var scope = NewDisposeScope();
            var loss = F.cross_entropy(forward(input), labels);
            adam.zero_grad();
            loss.backward();
            adam.step();
            sample();
        }, seconds) * input.shape[0];
    }

    /// <summary>Calls per second: one warm-up call, then as many calls as fit in the time (at least three).</summary>
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
