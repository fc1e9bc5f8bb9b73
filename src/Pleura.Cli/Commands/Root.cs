using System.CommandLine;

namespace Pleura.Cli.Commands;

internal static class Commands
{
    /// <summary>The whole command tree; tests invoke it in-process.</summary>
    public static RootCommand Root() => new("Pleura: deep transfer learning on chest radiographs — curate, split, train, explain, evaluate.")
    {
        DemoCommand.Create(),
        PhantomsCommand.Create(),
        ManifestCommand.Create(),
        IngestCommand.Create(),
        DicomCommand.Create(),
        SplitCommand.Create(),
        TrainCommand.Create(),
        PretrainCommand.Create(),
        EvaluateCommand.Create(),
        PredictCommand.Create(),
        GradeStudyCommand.Create(),
        ExplainCommand.Create(),
        SegmentCommand.Create(),
        StudyCommand.Create(),
        MetricsCommand.Create(),
        WeightsCommand.Create(),
        ExportCommand.Create(),
        BenchCommand.Create(),
        ClassifyCommand.Create(),
        ServeCommand.Create(),
        InfoCommand.Create(),
    };
}
