using System.Diagnostics;
using Pleura.Networks;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pleura.Benchmarks;

/// <summary>Throughput of one architecture: inference (float32 and bfloat16) and training (float32 and bfloat16 mixed
/// precision), images per second.</summary>
/// <param name="Bf16TrainingRatios">bfloat16 over float32 training speed in each interleaved round (their spread shows
/// how steady the machine was).</param>
/// <param name="Bf16TrainingCpuRatios">The same by the process's CPU time per step: less moved by other processes
/// taking the cores away mid-step, which stretches wall time but not CPU time.</param>
public sealed record ModelThroughput(string Architecture, int BatchSize, int ImageSize, double InferencePerSecond, double Bf16InferencePerSecond,
    double TrainingPerSecond, double PeakResidentMegabytes, double Bf16TrainingPerSecond = double.NaN, IReadOnlyList<double>? Bf16TrainingRatios = null, IReadOnlyList<double>? Bf16TrainingCpuRatios = null)
{
    /// <summary>The median of the per-round ratios: robust to a round slowed by other work on the machine.</summary>
    public double Bf16TrainingSpeedUp => Median(Bf16TrainingRatios);

    public double Bf16TrainingCpuSpeedUp => Median(Bf16TrainingCpuRatios);

    static double Median(IReadOnlyList<double>? values) => values is { Count: > 0 } v ? v.Order().ElementAt(v.Count / 2) : double.NaN;
}

/// <summary>
/// `pleura bench models`: times forward passes (eval mode, no gradients) and full training steps (forward, cross
/// entropy, backward, Adam; every parameter trained) on random 3-channel input, after warm-up, with all cores.
/// float32 and bfloat16 training (`--precision bf16`) run as two models from the same start, one step of each in turn,
/// so both see the same machine load (other processes on a shared machine slow both alike).
/// </summary>
public static class ModelBenchmark
{
    public static ModelThroughput Measure(string architecture, int batchSize = 16, int imageSize = 224, double seconds = 20, Action<string>? log = null)
    {
        var info = Architectures.Get(architecture);
        var model = SeededInit.Create(0, () => info.Create(4, 3));
        var mixed = SeededInit.Create(0, () => info.Create(4, 3));
        Precision.TrainConvolutionsInBFloat16(mixed);
        double peak = 0;
        void Sample() => peak = Math.Max(peak, ResidentMemory.CurrentMegabytes());

        using var input = ChannelsLast.Of(rand(batchSize, 3, imageSize, imageSize));
        using var labels = randint(0, 4, new long[] { batchSize });

        model.train();
        mixed.train();
        using var optimizer = optim.Adam(model.parameters(), 1e-4);
        using var mixedOptimizer = optim.Adam(mixed.parameters(), 1e-4);
        Action Step(nn.Module<Tensor, Tensor> network, optim.Optimizer adam) => () =>
        {
            using var scope = NewDisposeScope();
            var loss = F.cross_entropy(network.call(input), labels);
            adam.zero_grad();
            loss.backward();
            adam.step();
            Sample();
        };
        var (training, bf16Training, ratios, cpuRatios) = Interleaved(Step(model, optimizer), Step(mixed, mixedOptimizer), seconds / 2);
        (training, bf16Training) = (training * batchSize, bf16Training * batchSize);
        log?.Invoke($"{architecture}: training {training:0.0} images/s, bfloat16 training {bf16Training:0.0} images/s " +
                    $"(x{ratios.Order().ElementAt(ratios.Count / 2):0.00}, rounds {ratios.Min():0.00}-{ratios.Max():0.00}; by CPU time x{cpuRatios.Order().ElementAt(cpuRatios.Count / 2):0.00})");
        mixed.Dispose();

        // Inference as `evaluate` and `predict` run it: eval mode, kernels channels-last (see Checkpoint.Load).
        ChannelsLast.Weights(model);
        model.eval();
        double inference = Time(() => { using var _ = no_grad(); using var scope = NewDisposeScope(); model.call(input); Sample(); }, seconds / 4) * batchSize;
        log?.Invoke($"{architecture}: inference {inference:0.0} images/s");

        // As `--precision bf16` runs it: the stem in float32, every other convolution in bfloat16.
        Precision.ConvolutionsToBFloat16(model);
        double bf16 = Time(() => { using var _ = no_grad(); using var scope = NewDisposeScope(); model.call(input); Sample(); }, seconds / 4) * batchSize;
        log?.Invoke($"{architecture}: bfloat16 inference {bf16:0.0} images/s");
        model.Dispose();
        return new ModelThroughput(architecture, batchSize, imageSize, inference, bf16, training, peak, bf16Training, ratios, cpuRatios);
    }

    /// <summary>
    /// Calls per second of two steps timed in alternation (one warm-up call each, then rounds of one call of each, at
    /// least three rounds), and the ratio of their times per round, by the wall clock and by the process's CPU time.
    /// </summary>
    static (double First, double Second, List<double> Ratios, List<double> CpuRatios) Interleaved(Action first, Action second, double seconds)
    {
        first();
        second();
        var total = Stopwatch.StartNew();
        double a = 0, b = 0;
        var (ratios, cpuRatios) = (new List<double>(), new List<double>());
        using var process = Process.GetCurrentProcess();
        (double Wall, double Cpu) Timed(Action step)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            step();
            double wall = clock.Elapsed.TotalSeconds;
            process.Refresh();
            return (wall, (process.TotalProcessorTime - cpu).TotalSeconds);
        }
        while (ratios.Count < 3 || total.Elapsed.TotalSeconds < seconds)
        {
            var ta = Timed(first);
            var tb = Timed(second);
            (a, b) = (a + ta.Wall, b + tb.Wall);
            ratios.Add(ta.Wall / tb.Wall);
            cpuRatios.Add(ta.Cpu / tb.Cpu);
        }
        return (ratios.Count / a, ratios.Count / b, ratios, cpuRatios);
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
