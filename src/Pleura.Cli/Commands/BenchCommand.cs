using System.CommandLine;
using Pleura.Benchmarks;
using Pleura.Imaging;
using Spectre.Console;

namespace Pleura.Cli.Commands;

/// <summary>`pleura bench`: the options and the printed tables; the measurements are in Pleura.Benchmarks.</summary>
internal static class BenchCommand
{
    public static Command Create() => new("bench", "Benchmarks that print figures.")
    {
        IoCommand(),
        ModelsCommand(),
        MemoryCommand(),
        ExplainCommand(),
        StudyCommand(),
        TransferCommand(),
        DicomCommand(),
        ServeCommand(),
        BenchClassifyCommand.Create(),
    };

    static Command ServeCommand()
    {
        var run = new Argument<DirectoryInfo>("run") { Description = "Grading run folder to serve." };
        var images = new Option<DirectoryInfo?>("--images") { Description = "Folder of images to send (default: the run's data/images, as a demo run has)." };
        var clients = Cli.Option("--clients", "Concurrent clients, one load level each (e.g. --clients 1 4 16).", new[] { 1, 4, 16 });
        clients.AllowMultipleArgumentsPerToken = true;
        var seconds = Cli.Option("--seconds", "Length of each load level.", 60).AtLeast(1);
        var precision = Cli.Option("--precision", "fp32 (the default, so that figures compare), bf16, or auto (bf16 where native and the run's bf16 check holds).", "fp32");
        var batch = Cli.Option("--batch", "The server's images per forward pass (serve --batch).", 16).AtLeast(1);
        var noWrk = Cli.Option("--no-wrk", "Use the built-in HttpClient load generator even when wrk is installed.", false);
        var csv = new Option<FileInfo?>("--csv") { Description = "Also write the table as CSV." };
        var command = new Command("serve", "`pleura serve` under load (wrk at 1, 4 and 16 clients): images/s, p50/p99 latency, errors and memory, against `predict` on the same images.")
        {
            run, images, clients, seconds, precision, batch, noWrk, csv,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var folder = parse.GetValue(run)!.FullName;
            var imageFolder = parse.GetValue(images)?.FullName ?? Path.Combine(folder, "data", "images");
            if (!Directory.Exists(imageFolder)) throw new DirectoryNotFoundException($"{imageFolder}: folder not found (give one with --images)");
            var files = RadiographReader.ImageFiles(imageFolder).Take(256).ToList();
            if (files.Count == 0) throw new FileNotFoundException($"{imageFolder}: no images");
            var result = ServeBenchmark.Run(folder, files, parse.GetValue(clients)!, TimeSpan.FromSeconds(parse.GetValue(seconds)),
                Cli.Precision(parse.GetValue(precision)!, folder), !parse.GetValue(noWrk), m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"), parse.GetValue(batch)).GetAwaiter().GetResult();
            var table = new Table().AddColumns("clients", "generator", "images/s", "x predict", "per server CPU-s", "x predict per CPU-s", "p50 ms", "p99 ms", "errors", "memory MiB (start -> end)");
            foreach (var l in result.Levels)
                table.AddRow(l.Clients.ToString(), l.Generator, l.ImagesPerSecond.ToString("0.0"), (l.ImagesPerSecond / result.PredictImagesPerSecond).ToString("0.00"),
                    double.IsNaN(l.ImagesPerCpuSecond) ? "" : l.ImagesPerCpuSecond.ToString("0.0"),
                    double.IsNaN(l.ImagesPerCpuSecond) ? "" : (l.ImagesPerCpuSecond / result.PredictImagesPerCpuSecond).ToString("0.00"),
                    l.P50Milliseconds.ToString("0"), l.P99Milliseconds.ToString("0"), l.Errors.ToString(), $"{l.MemoryStartMiB:0} -> {l.MemoryEndMiB:0}");
            AnsiConsole.MarkupLineInterpolated($"predict on the same {result.Images} images: {result.PredictImagesPerSecond:0.0} images/s, {result.PredictImagesPerCpuSecond:0.0} per CPU-second");
            AnsiConsole.Write(table);
            if (parse.GetValue(csv) is { } file)
            {
                ServeBenchmark.WriteCsv(file.FullName, result);
                Cli.Done(file.FullName);
            }
            return result.Levels.Any(l => l.Errors > 0) ? Cli.ExitInvalidData : Cli.ExitOk;
        }));
        return command;
    }

    static Command DicomCommand()
    {
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "Folder of DICOM files (default: ../shared/data/dicom)." };
        var seconds = Cli.Option("--seconds", "Each measurement repeats passes over a syntax's files for at least this long.", 2.0);
        var csv = new Option<FileInfo?>("--csv") { Description = "Also write the table as CSV." };
        var noDcmtk = Cli.Option("--no-dcmtk", "Measure Pleura only.", false);
        var command = new Command("dicom", "DICOM decode throughput per transfer syntax with 1 and 2 threads, Pleura against dcmtk's dcm2pnm on the same files (images/s).")
        {
            dir, seconds, csv, noDcmtk,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var folder = parse.GetValue(dir)?.FullName ?? Path.GetFullPath(Path.Combine("..", "shared", "data", "dicom"));
            if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: folder not found (give one with --dir)");
            if (!parse.GetValue(noDcmtk) && !DicomBenchmark.HasTool()) Cli.Warn("dcm2pnm is not installed (Debian: apt-get install dcmtk): Pleura only");
            AnsiConsole.MarkupLineInterpolated($"DICOM files of {folder}: read + decode + min-max render to 16 bits; dcm2pnm (dcmj2pnm for JPEG, dcml2pnm for JPEG-LS) +Wm +opw to /dev/null, one process per image (start-up included)");
            var rows = DicomBenchmark.Run(folder, [1, 2], parse.GetValue(seconds), !parse.GetValue(noDcmtk), m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"));
            var table = new Table().AddColumns("transfer syntax", "files", "MP/image", "threads", "Pleura images/s", "dcmtk tool", "dcmtk images/s", "Pleura / dcmtk");
            foreach (var r in rows)
                table.AddRow(Markup.Escape(r.TransferSyntax), r.Files.ToString(), r.MegapixelsPerImage.ToString("0.00"), r.Threads.ToString(), r.PleuraImagesPerSecond.ToString("0.0"),
                    r.DcmtkTool ?? "", Markup.Escape(r.DcmtkImagesPerSecond?.ToString("0.0") ?? r.DcmtkNote ?? ""), r.Ratio?.ToString("0.00") + (r.Ratio is null ? "" : "x"));
            AnsiConsole.Write(table);
            if (parse.GetValue(csv) is { } file)
            {
                DicomBenchmark.WriteCsv(file.FullName, rows);
                Cli.Done(file.FullName);
            }
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command TransferCommand()
    {
        var source = new Argument<string>("source") { Description = "The target task: a folder with one subfolder per class, or a label table (CSV): path, class and optionally patient columns." };
        var pretrained = Cli.RequiredOption<FileInfo>("--pretrained", "The pretrained backbone to compare with random initialisation (its architecture and input channels are used for both).");
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Folder for the runs (resumable) and the result tables.", "-o");
        var sizes = new Option<int[]>("--sizes") { Description = "Training images per class for each point of the learning curve; 0 = all.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => new[] { 0 } };
        var repeats = Cli.Option("--repeats", "Patient-level splits (each with its own seed) per point; at least 2 for the paired interval.", 5).AtLeast(2);
        var labels = new PretrainCommand.LabelOptions();
        var validation = Cli.Option("--validation", "Share of the images held out for early stopping.", 0.15).Fraction();
        var test = Cli.Option("--test", "Share of the images held out for scoring.", 0.25).Fraction();
        var size = Cli.Option("--size", "Input size (square); 0 = the pretrained checkpoint's.", 0);
        var t = new TrainCommand.TrainingOptions();
        var command = new Command("transfer", "Pretrained start against random initialisation on a labelled task: the same recipe and seeds on the same patient-level splits, " +
                                              "at several training sizes; paired differences with 95% intervals.")
        {
            // `train`'s options that change how a model trains. Not --arch and --grey (the pretrained checkpoint's), nor
            // --decision and --tta: a labelled task's classes are unordered and scored by AUC and arg-max on the plain
            // forward pass, so they would be recorded and never applied.
            source, pretrained, output, sizes, repeats, validation, test, size, t.Batch, t.Epochs1, t.Epochs2, t.Lr1, t.Lr2, t.Unfreeze, t.Balance,
            t.Loss, t.Precision, t.Seed, t.Threads,
        };
        foreach (var o in labels.All) command.Options.Add(o);
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            Pleura.Networks.TorchRuntime.UseThreads(parse.GetValue(t.Threads));
            var checkpoint = parse.GetValue(pretrained)!.FullName;
            int inputSize = parse.GetValue(size) > 0 ? parse.GetValue(size) : Pleura.Networks.Weights.Checkpoint.ReadInfo(checkpoint).InputSize;
            var job = new Pleura.Transfer.TransferComparisonJob
            {
                Input = labels.Input(parse, parse.GetValue(source)!, strict: false),
                Pretrained = checkpoint,
                Output = parse.GetValue(output)!.FullName,
                TrainSizes = parse.GetValue(sizes)!,
                Repeats = parse.GetValue(repeats),
                ValidationFraction = parse.GetValue(validation),
                TestFraction = parse.GetValue(test),
                Training = new Pleura.Training.TrainingConfig
                {
                    ImageSize = inputSize,
                    BatchSize = parse.GetValue(t.Batch),
                    Stage1Epochs = parse.GetValue(t.Epochs1),
                    Stage2Epochs = parse.GetValue(t.Epochs2),
                    Stage1LearningRate = parse.GetValue(t.Lr1),
                    Stage2LearningRate = parse.GetValue(t.Lr2),
                    UnfreezeConvLayers = parse.GetValue(t.Unfreeze),
                    Balancing = parse.GetValue(t.Balance),
                    Loss = parse.GetValue(t.Loss),
                    Precision = parse.GetValue(t.Precision),
                    Seed = parse.GetValue(t.Seed),
                },
            };
            var result = Pleura.Transfer.TransferComparison.Run(job, m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"), cancel);
            foreach (var f in result.Failures) Cli.Warn($"unreadable, left out: {f.Path}: {f.Reason}");
            var table = new Table().AddColumns("per class", "metric", "scratch", "pretrained", "difference [[95% CI]]", "pretrained better in");
            foreach (var p in result.Points)
            {
                var d = p.Difference;
                table.AddRow(p.PerClass == 0 ? "all" : p.PerClass.ToString(), p.Metric, p.Scratch.ToString("0.000"), p.Pretrained.ToString("0.000"), Cli.Difference(d, p.HigherIsBetter),
                    $"{(p.HigherIsBetter ? d.Positive : d.Negative)} of {d.Pairs}");
            }
            AnsiConsole.MarkupLineInterpolated($"{result.Images} images of {result.Patients} patients, classes {string.Join(", ", result.Classes)}; {job.Repeats} splits per point");
            AnsiConsole.Write(table);
            var figure = LearningCurve.Draw(job.Output, result.Runs);
            Cli.Done($"{Path.Combine(job.Output, "transfer-runs.csv")}, {Path.Combine(job.Output, "transfer-summary.csv")}, {figure.PngPath}");
            return Cli.ExitOk;
        })));
        return command;
    }

    static Command StudyCommand()
    {
        var arch = Cli.Option("--arch", "Backbone of the grid.", "resnet18");
        var images = Cli.Option("--images", "Phantom images.", 400).AtLeast(1);
        var size = Cli.Option("--size", "Input size.", 128).AtLeast(32);
        var epochs1 = Cli.Option("--epochs1", "Stage 1 epochs (head only).", 10).AtLeast(0);
        var epochs2 = Cli.Option("--epochs2", "Stage 2 epochs (last 5 convolutions).", 10).AtLeast(0);
        var command = new Command("study", "Level 1 of a phantom study (3 ROIs x 3 balancings x 2 sides) with and without the activation cache: wall times and their ratio.")
        {
            arch, images, size, epochs1, epochs2,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            string folder = Path.Combine(Path.GetTempPath(), "pleura-bench-study-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                var result = StudyBenchmark.Run(folder, parse.GetValue(arch)!, parse.GetValue(images), parse.GetValue(size),
                    parse.GetValue(epochs1), parse.GetValue(epochs2), m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"));
                var table = new Table().AddColumns("trials", "cached (s)", "uncached (s)", "cached / uncached", "largest test macro-MAE difference", "cache");
                table.AddRow(result.Trials.ToString(), result.CachedSeconds.ToString("0.0"), result.UncachedSeconds.ToString("0.0"), result.Ratio.ToString("0.00") + "x",
                    result.MaxMacroMaeDifference.ToString("0.000"), Markup.Escape(result.CacheNote));
                AnsiConsole.Write(table);
            }
            finally { Directory.Delete(folder, true); }
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command ExplainCommand()
    {
        var archs = new Option<string[]>("--arch") { Description = "Architectures to measure.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => new[] { "resnet18", "resnet50" } };
        var batch = Cli.Option("--batch", "Batch size.", 16).AtLeast(1);
        var size = Cli.Option("--size", "Input size (square).", 224).AtLeast(32);
        var seconds = Cli.Option("--seconds", "Time per architecture.", 20.0);
        var command = new Command("explain", "Grad-CAM (all four classes) images/s against a plain forward pass.") { archs, batch, size, seconds };
        command.SetAction(parse => Cli.Run(() =>
        {
            Pleura.Networks.TorchRuntime.UseThreads(Environment.ProcessorCount);
            var table = new Table().AddColumns("network", "layer", "forward images/s", "explain images/s", "cost (forward passes)");
            foreach (var a in parse.GetValue(archs)!)
            {
                var r = ExplainBenchmark.Measure(a, parse.GetValue(batch), parse.GetValue(size), parse.GetValue(seconds));
                table.AddRow(r.Architecture, r.Layer, r.ForwardPerSecond.ToString("0.0"), r.ExplainPerSecond.ToString("0.0"), r.CostInForwardPasses.ToString("0.00"));
            }
            AnsiConsole.Write(table);
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command MemoryCommand()
    {
        var epochs = Cli.Option("--epochs", "Epochs to train.", 12).AtLeast(1);
        var images = Cli.Option("--images", "Phantoms to train on.", 400).AtLeast(1);
        var size = Cli.Option("--size", "Image size.", 128).AtLeast(32);
        var arch = Cli.Option("--arch", "Network.", "resnet10-w32");
        var command = new Command("memory", "Resident memory after every epoch of a long phantom training run: it must stay flat (epoch 10 within 5% of epoch 2).")
        {
            epochs, images, size, arch,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            Pleura.Networks.TorchRuntime.UseThreads(Environment.ProcessorCount);
            var folder = Path.Combine(Path.GetTempPath(), "pleura-bench-memory");
            var history = Cli.WithProgress("training", 1, _ => MemoryBenchmark.Run(parse.GetValue(epochs), parse.GetValue(images), parse.GetValue(size), parse.GetValue(arch)!, folder));
            var table = new Table().AddColumns("epoch", "resident MB", "vs epoch 2", "seconds");
            var verdict = MemoryVerdict.Of(history);
            foreach (var h in history)
                table.AddRow(h.Epoch.ToString(), h.ResidentMegabytes.ToString("0.0"), Cli.Signed(verdict.Change(h), "0.0%"), h.Seconds.ToString("0.0"));
            AnsiConsole.Write(table);
            if (verdict.Epoch10Change is { } change)
                AnsiConsole.MarkupLine($"epoch 10 vs epoch 2: {Cli.Signed(change, "0.0%")} ({(verdict.Flat == true ? "[green]flat[/]" : "[red]growing[/]")})");
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command ModelsCommand()
    {
        var archs = new Option<string[]>("--arch")
        {
            Description = "Architectures to measure.", AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => new[] { "resnet18", "resnet50", "densenet121", "vgg16" },
        };
        var batch = Cli.Option("--batch", "Batch size.", 16).AtLeast(1);
        var size = Cli.Option("--size", "Input size (square).", 224).AtLeast(32);
        var seconds = Cli.Option("--seconds", "Time per figure and side (at least three timed steps).", 5.0);
        var runs = Cli.Option("--runs", "Runs of Pleura then PyTorch; each figure is the median over them, each ratio the median of the per-run ratios.", 3).AtLeast(1);
        var precision = Cli.Option("--precision", "fp32 (float32 only), bf16 (also bfloat16 inference and mixed-precision training) or auto (bf16 where the CPU computes it natively).", "auto");
        precision.AcceptOnlyFromAmong("fp32", "bf16", "auto");
        var pytorch = Cli.Option("--pytorch", "Also run bench/pytorch_models.py with the system's python3-torch for a same-machine ratio.", true);
        var command = new Command("models", "Inference, full training and the method's stage 1 and stage 2 steps (images/s) and peak memory of the networks, against PyTorch.")
        {
            archs, batch, size, seconds, runs, precision, pytorch,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            int threads = Environment.ProcessorCount;
            Pleura.Networks.TorchRuntime.UseThreads(threads);
            var cpu = Pleura.Networks.CpuArithmetic.Current;
            bool bf16 = parse.GetValue(precision) switch { "bf16" => true, "auto" => cpu.NativeBFloat16, _ => false };
            var (ours, theirs) = (new List<IReadOnlyList<ModelThroughput>>(), new List<IReadOnlyDictionary<string, PyTorchThroughput>>());
            for (int run = 1; run <= parse.GetValue(runs); run++)
            {
                AnsiConsole.MarkupLineInterpolated($"[grey]run {run} of {parse.GetValue(runs)}[/]");
                ours.Add(parse.GetValue(archs)!.Select(a => ModelBenchmark.Measure(a, parse.GetValue(batch), parse.GetValue(size), parse.GetValue(seconds), bf16,
                    m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"))).ToList());
                theirs.Add(parse.GetValue(pytorch)
                    ? PyTorchReference.Run(threads, parse.GetValue(batch), parse.GetValue(size), parse.GetValue(seconds), parse.GetValue(archs)!, Cli.Warn)
                    : new Dictionary<string, PyTorchThroughput>());
                static string Layout(PyTorchFigures f) => $"inference {f.Inference:0.0}, training {f.Training:0.0}, stage 1 {f.Stage1:0.0}, stage 2 {f.Stage2:0.0}";
                foreach (var (a, t) in theirs[^1])
                    AnsiConsole.MarkupLineInterpolated($"[grey]PyTorch {a}: NCHW {Layout(t.Nchw)}; channels-last {Layout(t.ChannelsLast)} images/s[/]");
            }
            var table = new Table().Title($"batch {parse.GetValue(batch)}, {parse.GetValue(size)}x{parse.GetValue(size)}, {threads} threads, images/s, median of {ours.Count} run(s)")
                .AddColumns("network", "inference", "PyTorch", "ratio", "training", "PyTorch", "ratio", "stage 1", "PyTorch", "ratio", "stage 2", "PyTorch", "ratio",
                    "bf16 inference x", "bf16 training x", "peak RSS (MB)");
            static string Rate(double v) => double.IsNaN(v) ? "-" : v.ToString("0.0");
            static string Times(double v) => double.IsNaN(v) ? "-" : v.ToString("0.00x");
            static string[] Cells(ComparedFigure f) =>
                new[] { Rate(f.Pleura), f.PyTorchLayout.Length == 0 ? "-" : $"{Rate(f.PyTorch)} ({f.PyTorchLayout})", Times(f.Ratio) };
            foreach (var r in ModelComparison.Of(ours, theirs))
                table.AddRow(new[] { r.Architecture }.Concat(Cells(r.Inference)).Concat(Cells(r.Training)).Concat(Cells(r.Stage1)).Concat(Cells(r.Stage2))
                    .Concat(new[] { Times(r.Bf16InferenceSpeedUp), Times(r.Bf16TrainingSpeedUp), r.PeakResidentMegabytes.ToString("0") }).ToArray());
            AnsiConsole.Write(table);
            var version = theirs.SelectMany(t => t.Values).FirstOrDefault()?.Version;
            if (version is not null) AnsiConsole.MarkupLineInterpolated($"PyTorch {version} (bench/pytorch_models.py), after Pleura in each run, in NCHW and channels-last: the faster of the two (cl or nchw) counts");
            AnsiConsole.MarkupLineInterpolated($"training: every parameter; stage 1: the head on cached frozen-prefix outputs; stage 2: the last convolutions and the classifier on cached outputs (Adam, cross-entropy). bf16: {(bf16 ? "measured" : parse.GetValue(precision) == "fp32" ? "not asked (--precision fp32)" : $"not measured, no native bf16 ({cpu.Evidence})")}. Peak RSS: one model resident at a time.");
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command IoCommand()
    {
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "Folder of images to decode (default: ../shared/data/jsrt-scr/fullres if present, else 2048x2048 phantoms made for the run)." };
        var size = Cli.Option("--size", "Resize target (square).", 224).AtLeast(32);
        var rounds = Cli.Option("--rounds", "Passes over the folder per thread count; the best pass counts.", 3).AtLeast(1);
        var command = new Command("io", "Decode + resize throughput (images per second) with 1 and 2 threads.") { dir, size, rounds };
        command.SetAction(parse => Cli.Run(() =>
        {
            var folder = parse.GetValue(dir)?.FullName ?? DecodeBenchmark.DefaultFolder();
            var files = RadiographReader.ImageFiles(folder);
            if (files.Count == 0) throw new InvalidDataException($"{folder}: no PNG, JPEG or TIFF images");
            int target = parse.GetValue(size);
            var first = RadiographReader.Read(files[0]);
            AnsiConsole.MarkupLineInterpolated($"{files.Count} images from {folder} (first is {first.Width}x{first.Height}), decode + Lanczos resize to {target}x{target}");
            var table = new Table().AddColumns("threads", "images/s", "ms/image");
            foreach (var rate in DecodeBenchmark.Run(files, target, parse.GetValue(rounds), [1, 2]))
                table.AddRow(rate.Threads.ToString(), rate.ImagesPerSecond.ToString("0.0"), rate.MillisecondsPerImage.ToString("0.0"));
            AnsiConsole.Write(table);
            return Cli.ExitOk;
        }));
        return command;
    }
}
