using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Pleura.Networks;
using Pleura.Training;

namespace Pleura.Benchmarks;

/// <summary>PyTorch's images per second for one network in one memory layout (the columns of <see cref="ModelThroughput"/>).</summary>
public sealed record PyTorchFigures(double Inference, double Training, double Stage1, double Stage2);

/// <summary>PyTorch's figures for one network in NCHW and in channels-last, and the torch version that gave them.</summary>
public sealed record PyTorchThroughput(PyTorchFigures Nchw, PyTorchFigures ChannelsLast, string Version)
{
    /// <summary>Each figure in its faster layout, and which layout that was ("nchw" or "cl").</summary>
    public (double Value, string Layout) Best(Func<PyTorchFigures, double> figure) =>
        figure(ChannelsLast) > figure(Nchw) ? (figure(ChannelsLast), "cl") : (figure(Nchw), "nchw");
}

/// <summary>
/// `pleura bench models --pytorch`: runs bench/pytorch_models.py (beside the binary) with the system's python3-torch,
/// on the same networks, batch, size, threads, optimiser and trainable parameters for each stage, for a same-machine
/// ratio.
/// </summary>
public static class PyTorchReference
{
    /// <summary>
    /// The figures per architecture, for those torchvision has; empty when the script, python3, torch or torchvision is
    /// missing (<paramref name="warn"/> says which).
    /// </summary>
    public static IReadOnlyDictionary<string, PyTorchThroughput> Run(int threads, int batch, int size, double seconds, IEnumerable<string> architectures,
        Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(warn);
        var result = new Dictionary<string, PyTorchThroughput>();
        var script = Path.Combine(AppContext.BaseDirectory, "bench", "pytorch_models.py");
        var torchvisionNames = architectures.Where(a => Architectures.Get(a).InTorchvision).ToList();
        if (!File.Exists(script) || torchvisionNames.Count == 0) return result;
        try
        {
            // Debian's python3-torch lives under /usr/bin/python3, which a pyenv or venv python3 on PATH may hide.
            var python = Environment.GetEnvironmentVariable("PLEURA_PYTHON") ?? (File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
            var info = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(script);
            using var process = Process.Start(info)!;
            process.StandardInput.Write(Spec(threads, batch, size, seconds, torchvisionNames));
            process.StandardInput.Close();
            var stderrTask = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            var stderr = stderrTask.GetAwaiter().GetResult();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                warn($"PyTorch reference not run (python3 with torch and torchvision is needed): {stderr.Split('\n').LastOrDefault(l => l.Length > 0)}");
                return result;
            }
            foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var document = JsonDocument.Parse(line);
                var o = document.RootElement;
                static PyTorchFigures Figures(JsonElement e) => new(e.GetProperty("inference").GetDouble(), e.GetProperty("training").GetDouble(),
                    e.GetProperty("stage1").GetDouble(), e.GetProperty("stage2").GetDouble());
                result[o.GetProperty("architecture").GetString()!] =
                    new PyTorchThroughput(Figures(o.GetProperty("nchw")), Figures(o.GetProperty("channels_last")), o.GetProperty("torch").GetString()!);
            }
        }
        catch (Win32Exception)
        {
            warn("PyTorch reference not run: python3 is not installed");
        }
        return result;
    }

    /// <summary>
    /// What the script reads: the settings, and per network the parameters each stage trains, named as Pleura names
    /// them (torchvision's names), so that both sides train the same layers.
    /// </summary>
    public static string Spec(int threads, int batch, int size, double seconds, IEnumerable<string> architectures) =>
        JsonSerializer.Serialize(new
        {
            threads, batch, size, seconds,
            networks = architectures.Select(a =>
            {
                var info = Architectures.Get(a);
                using var model = info.Create(4, 3);
                return new
                {
                    architecture = a,
                    stage1 = StageSteps.Trainable(model, 1, info.HeadPrefix, info.Stage2Prefix, info.DefaultUnfreeze).Order(StringComparer.Ordinal).ToArray(),
                    stage2 = StageSteps.Trainable(model, 2, info.HeadPrefix, info.Stage2Prefix, info.DefaultUnfreeze).Order(StringComparer.Ordinal).ToArray(),
                };
            }).ToList(),
        });
}
