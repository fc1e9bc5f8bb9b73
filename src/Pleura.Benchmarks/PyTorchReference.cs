using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pleura.Networks;

namespace Pleura.Benchmarks;

/// <summary>PyTorch's images per second for one network on this machine, and the torch version that gave them.</summary>
public sealed record PyTorchThroughput(double Inference, double Training, string Version);

/// <summary>
/// `pleura bench models --pytorch`: runs bench/pytorch_models.py (beside the binary) with the system's python3-torch,
/// on the same networks, batch, size and threads, for a same-machine ratio.
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
            var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
            var arguments = new[]
            {
                script, threads.ToString(CultureInfo.InvariantCulture), batch.ToString(CultureInfo.InvariantCulture),
                size.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture),
            };
            foreach (var a in arguments.Concat(torchvisionNames)) info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEnd();
            var stderr = process.StandardError.ReadToEnd();
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
                result[o.GetProperty("architecture").GetString()!] =
                    new PyTorchThroughput(o.GetProperty("inference").GetDouble(), o.GetProperty("training").GetDouble(), o.GetProperty("torch").GetString()!);
            }
        }
        catch (Win32Exception)
        {
            warn("PyTorch reference not run: python3 is not installed");
        }
        return result;
    }
}
