using System.CommandLine;
using Pleura.Datasets;
using Pleura.Grading;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Training;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class TrainCommand
{
    /// <summary>Training options shared by `train` and `demo`.</summary>
    internal sealed class TrainingOptions
    {
        public readonly Option<string> Arch = Cli.Option("--arch", $"Backbone: {string.Join(", ", Architectures.Names)}.", "resnet50");
        public readonly Option<int> Size = Cli.Option("--size", "Input size (square), pixels.", 224).AtLeast(32);
        public readonly Option<int> Batch = Cli.Option("--batch", "Batch size.", 32).AtLeast(1);
        public readonly Option<int> Epochs1 = Cli.Option("--epochs1", "Stage 1 (head only, frozen backbone) maximum epochs.", 20).AtLeast(0);
        public readonly Option<int> Epochs2 = Cli.Option("--epochs2", "Stage 2 (last N convolutions too) maximum epochs.", 20).AtLeast(0);
        public readonly Option<double> Lr1 = Cli.Option("--lr1", "Stage 1 learning rate (Adam).", 1e-3);
        public readonly Option<double> Lr2 = Cli.Option("--lr2", "Stage 2 learning rate (Adam).", 1e-4);
        public readonly Option<int> Unfreeze = Cli.Option("--unfreeze", "Convolutions (from the last) that stage 2 trains; -1 = all layers.", 5);
        public readonly Option<Balancing> Balance = Cli.Option("--balance", "Class balancing of the training set: none, under, over, double.", Balancing.None);
        public readonly Option<string> Grey = Cli.Option("--grey", "Grey input: 'replicate' to 3 channels, or 'sum' conv1's RGB kernels into one channel.", "replicate");
        public readonly Option<GradeDecision> Decision = Cli.Option("--decision",
            "How probabilities become a grade: ArgMax (the most probable class, METHOD) or Expected (sum of p_k k, rounded: for ordinal grades).", GradeDecision.ArgMax);
        public readonly Option<LossKind> Loss = Cli.Option("--loss",
            "Training loss: CrossEntropy (METHOD) or Sord (soft ordinal labels: a near grade costs less than a far one).", LossKind.CrossEntropy);
        public readonly Option<int> Tta = Cli.Option("--tta", "Test-time augmentation: average the probabilities over this many augmented copies as well (0: none).", 0).AtLeast(0);
        public readonly Option<ArithmeticPrecision> Precision = Cli.Option("--precision",
            "Convolution arithmetic: Fp32, or Bf16 (bfloat16 convolutions on float32 master weights; batch-norm and head float32; checkpoints float32).", ArithmeticPrecision.Fp32);
        public readonly Option<int> Seed = Cli.Option("--seed", "Seed for initialisation, balancing, augmentation and shuffling.", 1);
        public readonly Option<int> Threads = Cli.Option("--threads", "Threads for the network (default: all cores).", Environment.ProcessorCount).AtLeast(1);

        public IEnumerable<Option> All => new Option[] { Arch, Size, Batch, Epochs1, Epochs2, Lr1, Lr2, Unfreeze, Balance, Grey, Decision, Loss, Tta, Precision, Seed, Threads };

        public TrainingConfig Read(ParseResult parse)
        {
            TorchRuntime.UseThreads(parse.GetValue(Threads));
            var grey = parse.GetValue(Grey)!.ToLowerInvariant();
            if (grey is not ("replicate" or "sum")) throw new ArgumentException($"--grey must be replicate or sum, not '{grey}'");
            Architectures.Get(parse.GetValue(Arch)!);
            return new TrainingConfig
            {
                Architecture = parse.GetValue(Arch)!,
                ImageSize = parse.GetValue(Size),
                BatchSize = parse.GetValue(Batch),
                Stage1Epochs = parse.GetValue(Epochs1),
                Stage2Epochs = parse.GetValue(Epochs2),
                Stage1LearningRate = parse.GetValue(Lr1),
                Stage2LearningRate = parse.GetValue(Lr2),
                UnfreezeConvLayers = parse.GetValue(Unfreeze),
                Balancing = parse.GetValue(Balance),
                InputChannels = grey == "sum" ? 1 : 3,
                Decision = parse.GetValue(Decision),
                Loss = parse.GetValue(Loss),
                TestTimeAugmentations = parse.GetValue(Tta),
                Precision = parse.GetValue(Precision),
                Seed = parse.GetValue(Seed),
            };
        }
    }

    public static Command Create()
    {
        var manifest = Cli.RequiredOption<FileInfo>("--manifest", "Pleura manifest CSV.", "-m");
        var split = Cli.RequiredOption<FileInfo>("--split", "Split file from `pleura split`.", "-s");
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Run folder (re-run the same command to resume).", "-o");
        var fold = Cli.Option("--fold", "Fold of the split to train on.", 1).AtLeast(1);
        var sides = Cli.Option("--sides", "Which lungs: left, right or both (comma-separated), one model each; or pooled: one model for both lungs, " +
                                          "the left lung's ROI mirrored so that both look like right lungs (saved and scored per lung).", "left,right");
        var pretrained = new Option<FileInfo?>("--pretrained") { Description = "safetensors weights to start from (torchvision names; the head is replaced)." };
        var strict = Cli.Option("--strict", "Stop at the first unreadable image instead of leaving it out.", false);
        var roi = Cli.Option("--roi", "What each side's model sees: none (whole image), lung (that lung, cropped), spine (the patient-side half); lung and spine need lung masks in the manifest.", "none");
        var training = new TrainingOptions();
        var command = new Command("train", "Train one opacity-grade model per lung (two-stage transfer learning, METHOD section 6); resumable.")
        {
            manifest, split, output, fold, sides, pretrained, strict, roi,
        };
        foreach (var o in training.All) command.Options.Add(o);
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            var job = new GradingJob
            {
                ManifestPath = parse.GetValue(manifest)!.FullName,
                SplitPath = parse.GetValue(split)!.FullName,
                RunFolder = parse.GetValue(output)!.FullName,
                Fold = parse.GetValue(fold),
                Training = training.Read(parse),
                Sides = parse.GetValue(sides) == Pleura.Imaging.Roi.PooledSides.Name ? Side.Both
                    : parse.GetValue(sides)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Side.Parse).ToList(),
                Pooled = parse.GetValue(sides) == Pleura.Imaging.Roi.PooledSides.Name,
                Pretrained = parse.GetValue(pretrained)?.FullName,
                OnUnreadableImage = parse.GetValue(strict) ? ErrorPolicy.Strict : ErrorPolicy.Continue,
                Roi = Pleura.Imaging.Roi.RoiSchemes.Parse(parse.GetValue(roi)!),
            };
            var outcomes = Pleura.Data.NewOutputFolder.Run(job.RunFolder, () => Run(job, cancel));
            ShowOutcomes(outcomes);
            Cli.Done($"checkpoints in {job.RunFolder}/left and /right (model.safetensors + model.json); per-epoch logs in */work/epochs.csv");
            return Cli.ExitOk;
        })));
        return command;
    }

    internal static IReadOnlyList<SideOutcome> Run(GradingJob job, CancellationToken cancel)
    {
        void Log(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]");
        if (Console.IsOutputRedirected)
        {
            var lines = job.Sides.ToDictionary(s => s.Name, s => Cli.EpochLines(s.Name + ": "));
            return GradingRun.Train(job, Log, (side, p) => lines[side.Name](p), cancel: cancel);
        }
        IReadOnlyList<SideOutcome> outcomes = Array.Empty<SideOutcome>();
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var loading = ctx.AddTask("reading images", maxValue: 1);
                var tasks = job.Sides.ToDictionary(s => s.Name, s => ctx.AddTask($"{s.Name}: waiting", autoStart: false, maxValue: 1));
                int totalEpochs = job.Training.Stage1Epochs + job.Training.Stage2Epochs;
                outcomes = GradingRun.Train(job, message => ctx.Refresh(), (side, p) =>
                {
                    var task = tasks[side.Name];
                    if (!task.IsStarted) task.StartTask();
                    int before = p.Stage == 1 ? 0 : job.Training.Stage1Epochs;
                    task.Value = (before + p.Epoch - 1 + (double)p.Batch / p.Batches) / totalEpochs;
                    task.Description = $"{side.Name}: stage {p.Stage} epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.Batches} loss {p.RunningLoss:0.000}";
                }, (done, total) => loading.Value = (double)done / total, cancel);
                loading.Value = 1;
                foreach (var t in tasks.Values) t.Value = 1;
            });
        return outcomes;
    }

    internal static void ShowOutcomes(IReadOnlyList<SideOutcome> outcomes)
    {
        var table = new Table().AddColumns("side", "train", "val", "test", "epochs (stage 1 + 2)", "best val loss", "test macro MAE", "test F1 (weighted)", "ended");
        foreach (var o in outcomes)
            table.AddRow(o.Side.Name, o.TrainImages.ToString(), o.ValidationImages.ToString(), o.TestImages.ToString(),
                $"{o.Training.History.Count(h => h.Stage == 1)} + {o.Training.History.Count(h => h.Stage == 2)}",
                o.Training.BestValidationLoss.ToString("0.000"), o.Test?.MacroMae.ToString("0.000") ?? "-", o.Test?.Report.F1Weighted.ToString("0.000") ?? "-",
                Markup.Escape(o.Training.StopReason ?? ""));
        AnsiConsole.Write(table);
    }
}
