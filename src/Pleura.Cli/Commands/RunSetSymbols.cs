using System.CommandLine;
using Pleura.Data;

namespace Pleura.Cli.Commands;

/// <summary>A run folder and the images to use it on (manifest, split, part, fold): shared by evaluate and explain.</summary>
internal sealed class RunSetSymbols
{
    public readonly Argument<DirectoryInfo> Run = new("run") { Description = "Run folder from `pleura train` (with left/ and right/ checkpoints)." };
    public readonly Option<FileInfo> Manifest;
    public readonly Option<FileInfo> Split = Cli.RequiredOption<FileInfo>("--split", "Split file.", "-s");
    public readonly Option<string> Part;
    public readonly Option<int> Fold = Cli.Option("--fold", "Fold of the split.", 1).AtLeast(1);

    public RunSetSymbols(string defaultPart, string manifestDescription = "Pleura manifest CSV.")
    {
        Manifest = Cli.RequiredOption<FileInfo>("--manifest", manifestDescription, "-m");
        Part = Cli.Option("--part", "Which images: test, validation, train, or oob (the out-of-box set).", defaultPart);
    }

    public void AddTo(Command command)
    {
        command.Arguments.Add(Run);
        foreach (var o in new Option[] { Manifest, Split, Part, Fold }) command.Options.Add(o);
    }

    public (string RunFolder, string Manifest, string Split, SplitPart Part, int Fold) Read(ParseResult parse) =>
        (parse.GetValue(Run)!.FullName, parse.GetValue(Manifest)!.FullName, parse.GetValue(Split)!.FullName,
         EvaluateCommand.ParsePart(parse.GetValue(Part)!), parse.GetValue(Fold));

    /// <summary>The default output folder under the run, e.g. RUN/evaluation/outofbox-fold1.</summary>
    public static string DefaultFolder(string runFolder, string kind, SplitPart part, int fold) =>
        Path.Combine(runFolder, kind, $"{part.ToString().ToLowerInvariant()}-fold{fold}");
}
