using System.Diagnostics;
using Pleura.Imaging;
using Pleura.Phantoms;

namespace Pleura.Benchmarks;

/// <summary>Decode + resize throughput at one thread count: the best of the passes over the folder.</summary>
public sealed record DecodeRate(int Threads, double ImagesPerSecond)
{
    public double MillisecondsPerImage => 1000 / ImagesPerSecond;
}

/// <summary>`pleura bench io`: images decoded and Lanczos-resized per second, libvips single-threaded per image.</summary>
public static class DecodeBenchmark
{
    /// <summary>../shared/data/jsrt-scr/fullres when present, else 16 phantoms of 2048x2048 made once in the temp folder.</summary>
    public static string DefaultFolder()
    {
        var shared = Path.GetFullPath(Path.Combine("..", "shared", "data", "jsrt-scr", "fullres"));
        if (Directory.Exists(shared)) return shared;
        var temp = Path.Combine(Path.GetTempPath(), "pleura-bench-io");
        if (!Directory.Exists(Path.Combine(temp, "images")))
            PhantomDataset.Generate(new PhantomOptions { Count = 16, Size = 2048, Seed = 7 }, temp);
        return Path.Combine(temp, "images");
    }

    /// <summary>After a warm-up on two files, <paramref name="rounds"/> passes over all of them at each thread count.</summary>
    public static IReadOnlyList<DecodeRate> Run(IReadOnlyList<string> files, int size, int rounds, IReadOnlyList<int> threadCounts)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(threadCounts);
        RadiographReader.VipsThreads = 1;
        ImageBatch.Read(files.Take(2).ToList(), p => RadiographReader.ReadResized(p, size, size), ErrorPolicy.Strict, 1); // warm-up
        var rates = new List<DecodeRate>();
        foreach (int threads in threadCounts)
        {
            double best = 0;
            for (int r = 0; r < rounds; r++)
            {
                var clock = Stopwatch.StartNew();
                ImageBatch.Read(files, p => RadiographReader.ReadResized(p, size, size), ErrorPolicy.Strict, threads);
                best = Math.Max(best, files.Count / clock.Elapsed.TotalSeconds);
            }
            rates.Add(new DecodeRate(threads, best));
        }
        return rates;
    }
}
