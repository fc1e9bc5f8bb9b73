using System.CommandLine;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Spectre.Console;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pleura.Cli.Commands;

internal static class WeightsCommand
{
    public static Command Create() => new("weights", "Inspect weight files and convert PyTorch checkpoints to Pleura's safetensors checkpoints.")
    {
        InspectCommand(),
        ImportCommand(),
        ImageNetCommand(),
    };

    static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads safetensors or a PyTorch checkpoint (.pth, .pt, .pth.tar) as an ordered state dict.</summary>
    internal static (List<KeyValuePair<string, Tensor>> Tensors, string Description) ReadAny(string path)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            return (Safetensors.Read(path).Tensors, "safetensors");
        if (IsOnnx(path))
        {
            var onnx = OnnxResNet.Read(path);
            return (onnx.Tensors.ToList(), $"ONNX ResNet, blocks {string.Join(", ", onnx.BlocksPerStage)} per stage, keys mapped by walking the graph");
        }
        var file = PyTorchCheckpoint.Read(path);
        var description = $"PyTorch {file.Container}, state dict at {file.StateDictLocation}";
        if (file.UnsupportedGlobals.Count > 0) description += $"; not built (outside the state dict): {string.Join(", ", file.UnsupportedGlobals)}";
        return (file.StateDict, description);
    }

    static Command InspectCommand()
    {
        var file = new Argument<FileInfo>("file") { Description = "A .safetensors, .pth, .pt, .pth.tar or (ResNet) .onnx file." };
        var command = new Command("inspect", "List a weight file's keys, shapes and dtypes.") { file };
        command.SetAction(parse => Cli.Run(() =>
        {
            var (tensors, description) = ReadAny(parse.GetValue(file)!.FullName);
            var table = new Table().Title(Markup.Escape(description)).AddColumns("key", "shape", "dtype");
            foreach (var (key, t) in tensors) table.AddRow(Markup.Escape(key), string.Join("x", t.shape), t.dtype.ToString());
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"{tensors.Count} tensors, {tensors.Sum(kv => kv.Value.numel()):N0} values");
            return Cli.ExitOk;
        }));
        return command;
    }

    static Command ImageNetCommand()
    {
        var output = Cli.RequiredOption<FileInfo>("--out", "Pleura checkpoint to write (.safetensors, with a .json sidecar).", "-o");
        var onnx = Cli.Option<FileInfo?>("--onnx", "The ONNX file (default: the one NuGet restored with the build).", null);
        var command = new Command("imagenet",
            $"Write the ImageNet ResNet-18 ({ImageNetWeights.Architecture}) that NuGet package {ImageNetWeights.Package} ships as ONNX as a Pleura " +
            "checkpoint that records its input recipe (BGR, 0-255, minus the ImageNet means); start any training from it with --pretrained.")
        {
            output, onnx,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(onnx)?.FullName ?? ImageNetWeights.OnnxPath();
            WriteOnnx(path, ImageNetWeights.Architecture, parse.GetValue(output)!.FullName);
            return Cli.ExitOk;
        }));
        return command;
    }

    /// <summary>An ONNX ResNet as a Pleura checkpoint; ML.NET's CNTK file gets the input recipe it was trained with.</summary>
    static void WriteOnnx(string path, string architecture, string outPath)
    {
        Pleura.Data.FolderOwner.RefuseOwnedFolderOf(outPath, "weights");
        var (model, weights, report) = ImageNetWeights.Import(path, architecture);
        var table = new Table().AddColumns("ONNX initializer", "key", "shape");
        foreach (var m in weights.Mapping) table.AddRow(Markup.Escape(m.OnnxName), Markup.Escape(m.Key), m.Shape);
        AnsiConsole.Write(table);
        foreach (var note in weights.Notes) AnsiConsole.MarkupLineInterpolated($"[grey]{note}[/]");
        AnsiConsole.MarkupLineInterpolated($"{weights.Mapping.Count} initializers mapped by walking the graph; {report}");
        bool cntk = architecture.Equals(ImageNetWeights.Architecture, StringComparison.OrdinalIgnoreCase);
        var info = new CheckpointInfo
        {
            Architecture = architecture,
            Classes = Enumerable.Range(0, (int)((Linear)((Pleura.Networks.Backbones.ResNet)model).Head).weight!.shape[0]).Select(i => $"class_{i}").ToList(),
            InputSize = weights.InputSize,
            InputChannels = 3,
            PretrainedFrom = path,
        };
        // Save describes a known recipe itself; an unknown one is said to be unknown.
        Checkpoint.Save(outPath, model, cntk ? info with { Input = InputRecipe.ImageNetCntk } : info with { Normalisation = "as the source file's training (unknown to Pleura)" });
        if (!cntk) AnsiConsole.MarkupLine("[yellow]the input recipe of this ONNX file is unknown to Pleura: the checkpoint says grey in [0, 1][/]");
        Cli.Done($"{outPath} (+ {Path.GetFileName(Checkpoint.SidecarOf(outPath))}): use it with `pleura train --pretrained`");
    }

    static Command ImportCommand()
    {
        var file = new Argument<FileInfo>("file") { Description = "A PyTorch checkpoint (.pth, .pt, .pth.tar), a ResNet as ONNX (.onnx) or a safetensors file." };
        var arch = Cli.RequiredOption<string>("--arch", $"Architecture the weights belong to: {string.Join(", ", Architectures.Names)}.");
        var output = Cli.RequiredOption<FileInfo>("--out", "Pleura checkpoint to write (.safetensors, with a .json sidecar).", "-o");
        var size = Cli.Option("--size", "Input size the weights were trained at (recorded in the sidecar).", 224).AtLeast(32);
        var command = new Command("import", "Convert a checkpoint to Pleura's safetensors checkpoint, mapping known key variants and reporting the mapping.")
        {
            file, arch, output, size,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(file)!.FullName;
            Pleura.Data.FolderOwner.RefuseOwnedFolderOf(parse.GetValue(output)!.FullName, "weights import");
            if (IsOnnx(path))
            {
                WriteOnnx(path, parse.GetValue(arch)!, parse.GetValue(output)!.FullName);
                return Cli.ExitOk;
            }
            var info = Architectures.Get(parse.GetValue(arch)!);
            var (tensors, description) = ReadAny(path);
            AnsiConsole.MarkupLineInterpolated($"[grey]{path}: {description}[/]");

            // The head's size decides the number of classes: an ImageNet file keeps its 1000, CheXNet its 14.
            var probe = info.Create(4, 3);
            var modelKeys = StateDicts.Ordered(probe).Select(kv => kv.Key).ToHashSet();
            var (mapped, renamed) = KeyMapping.Apply(tensors, modelKeys);
            var headWeight = mapped.FirstOrDefault(kv => kv.Key == info.HeadPrefix + "weight").Value;
            int classes = headWeight is null ? 4 : (int)headWeight.shape[0];
            var model = info.Create(classes, 3);
            var report = WeightLoader.Load(model, mapped, headWeight is null ? info.HeadPrefix : null, path);

            var table = new Table().AddColumns("from", "to");
            foreach (var (from, to) in renamed.Take(30)) table.AddRow(Markup.Escape(from), Markup.Escape(to));
            if (renamed.Count > 0) AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"{renamed.Count} key(s) renamed; {report}");
            var outPath = parse.GetValue(output)!.FullName;
            Checkpoint.Save(outPath, model, new CheckpointInfo
            {
                Architecture = info.Name,
                Classes = Enumerable.Range(0, classes).Select(i => $"class_{i}").ToList(),
                InputSize = parse.GetValue(size),
                InputChannels = 3,
                Normalisation = "as the source file's training (unknown to Pleura)",
                PretrainedFrom = path,
            });
            Cli.Done($"{outPath} (+ {Path.GetFileName(Checkpoint.SidecarOf(outPath))}): use it with `pleura train --pretrained`");
            return Cli.ExitOk;
        }));
        return command;
    }
}
