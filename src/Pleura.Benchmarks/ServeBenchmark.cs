using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Pleura.Grading;
using Pleura.Imaging;
using Pleura.Server;

namespace Pleura.Benchmarks;

/// <summary>One load level: clients kept busy for a while against the server.</summary>
public sealed record LoadLevel(int Clients, double Seconds, long Requests, long Errors, double ImagesPerSecond, double P50Milliseconds, double P99Milliseconds,
    double MemoryStartMiB, double MemoryEndMiB, string Generator)
{
    /// <summary>Images graded per second of the server process's CPU time: the load generator's own use of the shared cores left out (wrk only).</summary>
    public double ImagesPerCpuSecond { get; init; } = double.NaN;
}

/// <summary>`pleura bench serve`: the server's throughput and latency under load against `predict` on the same images.</summary>
public sealed record ServeBenchmarkResult(int Images, double PredictImagesPerSecond, IReadOnlyList<LoadLevel> Levels)
{
    /// <summary>`predict`'s images per second of process CPU time.</summary>
    public double PredictImagesPerCpuSecond { get; init; } = double.NaN;
}

/// <summary>
/// Starts the server in this process on a free port, measures `predict`'s own path (models loaded, images decoded in
/// parallel and graded in batches) on the same images, then drives <c>POST /v1/grade</c> at each client count for a
/// while: with wrk (Debian's HTTP load generator, a Lua script cycling through the image files) when installed,
/// otherwise with an HttpClient loop. Memory is the process's resident set at the start and end of each level.
/// </summary>
public static partial class ServeBenchmark
{
    public static async Task<ServeBenchmarkResult> Run(string run, IReadOnlyList<string> images, IReadOnlyList<int> clients, TimeSpan duration,
        bool bfloat16, bool useWrk, Action<string> log, int maxBatch = 16)
    {
        var (predict, predictPerCpu) = PredictThroughput(run, images, bfloat16, TimeSpan.FromSeconds(Math.Min(20, duration.TotalSeconds)));
        log($"predict: {predict:0.0} images/s over {images.Count} images ({predictPerCpu:0.0} per CPU-second)");
        var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var options = new ServeOptions { Runs = new[] { run }, Port = 0, ApiKeys = new[] { key }, BFloat16 = bfloat16, MaxConcurrentRequests = Math.Max(32, clients.Max() * 2), MaxBatch = maxBatch };
        await using var server = await PleuraServer.Start(options, logging => { }).ConfigureAwait(false);
        var address = server.Addresses[0];
        bool wrk = useWrk && WrkInstalled();
        if (useWrk && !wrk) log("wrk is not installed (Debian: apt-get install wrk): using the built-in HttpClient load generator");
        var levels = new List<LoadLevel>();
        // A short warm-up: the first requests pay for JIT and libtorch's first allocations.
        await HttpLoad(address, key, images, 2, TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        foreach (int n in clients)
        {
            double memoryStart = ResidentMiB();
            var cpuStart = CpuSeconds();
            var (requests, errors, seconds, p50, p99) = wrk ? await WrkLoad(address, key, images, n, duration).ConfigureAwait(false)
                                                            : await HttpLoad(address, key, images, n, duration).ConfigureAwait(false);
            var level = new LoadLevel(n, seconds, requests, errors, (requests - errors) / seconds, p50, p99, memoryStart, ResidentMiB(), wrk ? "wrk" : "HttpClient")
            {
                ImagesPerCpuSecond = wrk ? (requests - errors) / (CpuSeconds() - cpuStart) : double.NaN,
            };
            log($"{n} clients: {level.ImagesPerSecond:0.0} images/s, p50 {p50:0} ms, p99 {p99:0} ms, {errors} errors, memory {memoryStart:0} -> {level.MemoryEndMiB:0} MiB");
            levels.Add(level);
        }
        return new ServeBenchmarkResult(images.Count, predict, levels) { PredictImagesPerCpuSecond = predictPerCpu };
    }

    /// <summary>`predict`'s path with the models loaded once: parallel decode, batched grading, repeated for a while.</summary>
    static (double PerSecond, double PerCpuSecond) PredictThroughput(string run, IReadOnlyList<string> images, bool bfloat16, TimeSpan duration)
    {
        using var models = GradingModels.Load(run, bfloat16);
        void Pass()
        {
            var (readable, _) = models.DecodeAll(images, ErrorPolicy.Continue);
            for (int start = 0; start < readable.Count; start += 32) models.Grade(readable.Skip(start).Take(32).ToList());
        }
        Pass();
        var clock = Stopwatch.StartNew();
        var cpu = CpuSeconds();
        long graded = 0;
        do { Pass(); graded += images.Count; } while (clock.Elapsed < duration);
        return (graded / clock.Elapsed.TotalSeconds, graded / (CpuSeconds() - cpu));
    }

    static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    static double ResidentMiB()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64 / (1024.0 * 1024.0);
    }

    static async Task<(long Requests, long Errors, double Seconds, double P50, double P99)> HttpLoad(string address, string key, IReadOnlyList<string> images, int clients, TimeSpan duration)
    {
        var bodies = images.Select(File.ReadAllBytes).ToList();
        using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Add("X-API-Key", key);
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        long errors = 0, next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (clock.Elapsed < duration)
            {
                using var content = new ByteArrayContent(bodies[(int)(Interlocked.Increment(ref next) % bodies.Count)]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                var start = clock.Elapsed;
                using var response = await http.PostAsync(new Uri("/v1/grade", UriKind.Relative), content).ConfigureAwait(false);
                latencies.Add((clock.Elapsed - start).TotalMilliseconds);
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref errors);
            }
        })).ConfigureAwait(false);
        var sorted = latencies.Order().ToList();
        double Percentile(double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        return (sorted.Count, errors, clock.Elapsed.TotalSeconds, Percentile(0.5), Percentile(0.99));
    }

    static bool WrkInstalled() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, "wrk")));

    static async Task<(long Requests, long Errors, double Seconds, double P50, double P99)> WrkLoad(string address, string key, IReadOnlyList<string> images, int clients, TimeSpan duration)
    {
        var script = Path.Combine(Path.GetTempPath(), $"pleura-wrk-{Guid.NewGuid():N}.lua");
        // Lua long strings hold the paths verbatim; the bodies are read once per wrk thread.
        var files = string.Join(", ", images.Select(f => $"[==[{Path.GetFullPath(f)}]==]"));
        await File.WriteAllTextAsync(script, $$"""
            local files = { {{files}} }
            local bodies = {}
            for i, f in ipairs(files) do local h = io.open(f, "rb"); bodies[i] = h:read("*all"); h:close() end
            local n = 0
            request = function()
              n = n + 1
              return wrk.format("POST", "/v1/grade", { ["X-API-Key"] = "{{key}}", ["Content-Type"] = "application/octet-stream" }, bodies[(n % #bodies) + 1])
            end
            """).ConfigureAwait(false);
        try
        {
            var info = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-t", Math.Min(clients, 2).ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture),
                         "-d", $"{(int)duration.TotalSeconds}s", "--timeout", "60s", "--latency", "-s", script, address })
                info.ArgumentList.Add(a);
            using var wrk = Process.Start(info) ?? throw new InvalidOperationException("wrk could not be started");
            var output = await wrk.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            await wrk.WaitForExitAsync().ConfigureAwait(false);
            if (wrk.ExitCode != 0) throw new InvalidOperationException($"wrk failed: {await wrk.StandardError.ReadToEndAsync().ConfigureAwait(false)}{output}");
            return ParseWrk(output);
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>The load levels as CSV, each beside `predict`'s figures on the same images.</summary>
    public static void WriteCsv(string path, ServeBenchmarkResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        static string F(double v, string format) => Pleura.Data.CsvText.Number(v, format);
        Pleura.Data.CsvOutput.Write(path, ["clients", "generator", "seconds", "requests", "errors", "images_per_s", "predict_images_per_s",
                "images_per_cpu_s", "predict_images_per_cpu_s", "p50_ms", "p99_ms", "memory_start_mib", "memory_end_mib"],
            result.Levels.Select(l => new[]
            {
                l.Clients.ToString(CultureInfo.InvariantCulture), l.Generator, F(l.Seconds, "0.0"), l.Requests.ToString(CultureInfo.InvariantCulture),
                l.Errors.ToString(CultureInfo.InvariantCulture), F(l.ImagesPerSecond, "0.00"), F(result.PredictImagesPerSecond, "0.00"),
                F(l.ImagesPerCpuSecond, "0.00"), F(result.PredictImagesPerCpuSecond, "0.00"), F(l.P50Milliseconds, "0.0"), F(l.P99Milliseconds, "0.0"),
                F(l.MemoryStartMiB, "0"), F(l.MemoryEndMiB, "0"),
            }));
    }

    /// <summary>wrk's summary: "N requests in Xs", the 50% and 99% latencies, non-2xx responses and socket errors.</summary>
    public static (long Requests, long Errors, double Seconds, double P50, double P99) ParseWrk(string output)
    {
        var total = TotalLine().Match(output);
        if (!total.Success) throw new InvalidDataException("wrk printed no request count:\n" + output);
        long requests = long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture);
        double seconds = Duration(total.Groups[2].Value) / 1000;
        long errors = NonSuccess().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        if (SocketErrors().Match(output) is { Success: true } s)
            errors += Enumerable.Range(1, 4).Sum(g => long.Parse(s.Groups[g].Value, CultureInfo.InvariantCulture));
        double Latency(string q) => Regex.Match(output, @"^\s*" + q + @"%\s+([\d.]+\w+)", RegexOptions.Multiline) is { Success: true } l ? Duration(l.Groups[1].Value) : double.NaN;
        return (requests, errors, seconds, Latency("50"), Latency("99"));
    }

    /// <summary>A wrk duration ("812.34us", "12.5ms", "1.02s", "2m") in milliseconds.</summary>
    static double Duration(string text)
    {
        var m = Regex.Match(text, @"^([\d.]+)(us|ms|s|m)$");
        if (!m.Success) throw new InvalidDataException($"'{text}' is not a wrk duration");
        double v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => v / 1000, "ms" => v, "s" => v * 1000, _ => v * 60_000 };
    }

    [GeneratedRegex(@"(\d+) requests in ([\d.]+\w+),")]
    private static partial Regex TotalLine();
    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex NonSuccess();
    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
