namespace Pleura.Tests.Cli;

/// <summary>Runs the `pleura` command tree in-process and returns its exit code.</summary>
internal static class CliRunner
{
    public static int Run(params string[] args) => Pleura.Cli.Cli.Invoke(Pleura.Cli.Commands.Commands.Root(), args);
}
