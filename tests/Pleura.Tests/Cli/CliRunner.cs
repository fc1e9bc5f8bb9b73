using Spectre.Console;

namespace Pleura.Tests.Cli;

/// <summary>Runs the `pleura` command tree in-process and returns its exit code (and, if asked, what it printed).</summary>
internal static class CliRunner
{
    public static int Run(params string[] args) => Pleura.Cli.Cli.Invoke(Pleura.Cli.Commands.Commands.Root(), args);

    /// <summary>The exit code and everything written to standard output and standard error, as plain text.</summary>
    public static (int Code, string Output) RunCaptured(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 1000; // one message per line, whatever its length
        var (stdout, stderr) = (AnsiConsole.Console, Pleura.Cli.Cli.ErrorConsole);
        AnsiConsole.Console = console;
        Pleura.Cli.Cli.ErrorConsole = console;
        try { return (Run(args), writer.ToString()); }
        finally
        {
            AnsiConsole.Console = stdout;
            Pleura.Cli.Cli.ErrorConsole = stderr;
        }
    }
}
