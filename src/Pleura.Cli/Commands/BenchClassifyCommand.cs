using System.CommandLine;
using Pleura.Benchmarks;
using Spectre.Console;

namespace Pleura.Cli.Commands;

/// <summary>`pleura bench classify`: `classify predict`'s end-to-end throughput on PNG and DICOM, float32 and bfloat16.</summary>
internal static class BenchClassifyCommand
{
    public static Command Create()
    {
        var run = new Argument<DirectoryInfo>("run") { Description = "A run folder of `pleura classify train` (e.g. the view classifier)." };
        var inputs = Cli.Option("--input", "NAME=FOLDER of images to classify (repeat; e.g. --input png=../shared/data/jsrt-scr/images --input dicom=DIR).",
            Array.Empty<string>());
        inputs.AllowMultipleArgumentsPerToken = true;
        var limit = Cli.Option("--limit", "At most this many images per folder.", 256).AtLeast(1);
        var rounds = Cli.Option("--rounds", "Timed rounds per input and precision (alternating; the best counts).", 3).AtLeast(1);
        var command = new Command("classify", "End-to-end throughput of `classify predict` (decode, resize, every fold model) per input folder, float32 and bfloat16, " +
                                              "against the view seed's 38 images/s.")
        {
            run, inputs, limit, rounds,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var sets = new List<(string, IReadOnlyList<string>)>();
            foreach (var pair in parse.GetValue(inputs)!)
            {
                int eq = pair.IndexOf('=');
                if (eq <= 0) throw new ArgumentException($"--input takes NAME=FOLDER, not '{pair}'");
                var folder = pair[(eq + 1)..];
                if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: folder not found (--input {pair})");
                var files = ClassifierBenchmark.Files(folder, parse.GetValue(limit));
                if (files.Count == 0) throw new FileNotFoundException($"{folder}: no images");
                sets.Add((pair[..eq], files));
            }
            if (sets.Count == 0) throw new ArgumentException("give at least one --input NAME=FOLDER");
            var rows = ClassifierBenchmark.Run(parse.GetValue(run)!.FullName, sets, parse.GetValue(rounds), m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"));
            var table = new Table().AddColumns("input", "precision", "images", "unreadable", "seconds", "images/s", "x seed (38/s)", "models loaded in (s)");
            foreach (var r in rows)
                table.AddRow(Markup.Escape(r.Input), r.Precision, r.Images.ToString(), r.Unreadable.ToString(), r.Seconds.ToString("0.00"), r.ImagesPerSecond.ToString("0.0"),
                    r.AgainstSeed.ToString("0.00"), r.LoadSeconds.ToString("0.0"));
            AnsiConsole.Write(table);
            return Cli.ExitOk;
        }));
        return command;
    }
}
