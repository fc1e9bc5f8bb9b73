using System.CommandLine;
using Pleura.Cli;
using Pleura.Cli.Commands;

var root = new RootCommand("Pleura: deep transfer learning on chest radiographs — curate, split, train, explain, evaluate.")
{
    PhantomsCommand.Create(),
    ManifestCommand.Create(),
    SplitCommand.Create(),
    MetricsCommand.Create(),
    BenchCommand.Create(),
    InfoCommand.Create(),
};
return Cli.Invoke(root, args);
