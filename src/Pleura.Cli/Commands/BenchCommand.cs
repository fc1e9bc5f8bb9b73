using System.CommandLine;
using System.Diagnostics;
using Pleura.Imaging;
using Pleura.Phantoms;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create() => new("bench", "Benchmarks that print figures.")
    {
        IoCommand(),
    };

    static Command IoCommand()
    {
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "Folder of images to decode (default: ../shared/data/jsrt-scr/fullres if present, else 2048x2048 phantoms made for the run)." };
        var size = Cli.Option("--size", "Resize target (square).", 224);
        var rounds = Cli.Option("--rounds", "Passes over the folder per thread count; the best pass counts.", 3);
        var command = new Command("io", "Decode + resize throughput (images per second) with 1 and 2 threads.") { dir, size, rounds };
        command.SetAction(parse => Cli.Run(() =>
        {
            var folder = parse.GetValue(dir)?.FullName ?? DefaultFolder();
            var files = Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase)
                || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase)
                || f.EndsWith(".tif", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".tiff", StringComparison.OrdinalIgnoreCase)).OrderBy(f => f).ToList();
            if (files.Count == 0) throw new InvalidDataException($"{folder}: no PNG, JPEG or TIFF images");
            int target = parse.GetValue(size);
            var first = RadiographReader.Read(files[0]);
            AnsiConsole.MarkupLineInterpolated($"{files.Count} images from {folder} (first is {first.Width}x{first.Height}), decode + Lanczos resize to {target}x{target}");
            RadiographReader.VipsThreads = 1;
            ImageBatch.Read(files.Take(2).ToList(), p => RadiographReader.ReadResized(p, target, target), ErrorPolicy.Strict, 1); // warm-up
            var table = new Table().AddColumns("threads", "images/s", "ms/image");
            foreach (int threads in new[] { 1, 2 })
            {
                double best = 0;
                for (int r = 0; r < parse.GetValue(rounds); r++)
                {
                    var clock = Stopwatch.StartNew();
                    ImageBatch.Read(files, p => RadiographReader.ReadResized(p, target, target), ErrorPolicy.Strict, threads);
                    best = Math.Max(best, files.Count / clock.Elapsed.TotalSeconds);
                }
                table.AddRow(threads.ToString(), best.ToString("0.0"), (1000 / best).ToString("0.0"));
            }
            AnsiConsole.Write(table);
            return Cli.ExitOk;
        }));
        return command;
    }

    static string DefaultFolder()
    {
        var shared = Path.GetFullPath(Path.Combine("..", "shared", "data", "jsrt-scr", "fullres"));
        if (Directory.Exists(shared)) return shared;
        var temp = Path.Combine(Path.GetTempPath(), "pleura-bench-io");
        if (!Directory.Exists(Path.Combine(temp, "images")))
            PhantomDataset.Generate(new PhantomOptions { Count = 16, Size = 2048, Seed = 7 }, temp);
        return Path.Combine(temp, "images");
    }
}
