using System.CommandLine;
using Pleura.Imaging;
using Spectre.Console;

namespace Pleura.Cli;

/// <summary>Shared command-line plumbing: readable errors, progress bars and option helpers.</summary>
internal static class Cli
{
    public const int ExitOk = 0;
    public const int ExitInvalidData = 1;
    public const int ExitUsage = 2;
    public const int ExitInternal = 3;
    public const int ExitInterrupted = 130;

    public static int Invoke(RootCommand root, string[] args)
    {
        // Redirected output (logs, CI) has no terminal width; tables would wrap at 80 columns.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;
        var parsed = root.Parse(args);
        return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    /// <summary>Runs a command body; expected failures (bad files, bad input) print one clear line, not a stack trace.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ImageReadException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
                                      or FormatException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            Error(e.Message);
            return e is ArgumentException or FormatException ? ExitUsage : ExitInvalidData;
        }
        catch (OperationCanceledException)
        {
            Warn("stopped; run the same command again to continue from the last completed epoch");
            return ExitInterrupted;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("PLEURA_DEBUG") != "1")
        {
            // Anything else is a bug in Pleura or a native library: say what happened in one line, keep the trace for debugging.
            Error($"{e.GetType().Name}: {e.Message.Split('\n')[0]} (set PLEURA_DEBUG=1 for the stack trace)");
            return ExitInternal;
        }
    }

    public static void Error(string message) => AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {message}");
    public static void Warn(string message) => AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {message}");
    public static void Done(string message) => AnsiConsole.MarkupLineInterpolated($"[green]✓[/] {message}");

    /// <summary>Runs work with a progress bar of <paramref name="total"/> steps; the work reports steps done.</summary>
    public static T WithProgress<T>(string title, int total, Func<Action<int>, T> work)
    {
        if (Console.IsOutputRedirected || total <= 1) return work(_ => { });
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(title, maxValue: total);
                result = work(done => task.Value = done);
                task.Value = total;
            });
        return result;
    }

    /// <summary>Prints one grey line per finished epoch (for logs and redirected output).</summary>
    public static Action<Pleura.Training.TrainingProgress> EpochLines(string prefix = "")
    {
        int lastStage = -1, lastEpoch = -1;
        return p =>
        {
            if (p.Batch != p.Batches || (p.Stage == lastStage && p.Epoch == lastEpoch)) return;
            (lastStage, lastEpoch) = (p.Stage, p.Epoch);
            AnsiConsole.MarkupLineInterpolated($"[grey]{prefix}stage {p.Stage} epoch {p.Epoch}/{p.Epochs}, training loss {p.RunningLoss:0.000}[/]");
        };
    }

    public static Option<T> Option<T>(string name, string description, T defaultValue, params string[] aliases) =>
        new(name, aliases) { Description = description, DefaultValueFactory = _ => defaultValue };

    public static Option<T> RequiredOption<T>(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, Required = true };

    /// <summary>A paired difference as table markup: mean [95% interval] and whether the second option is clearly better or worse.</summary>
    public static string Difference(Pleura.Evaluation.PairedDifference d, bool higherIsBetter)
    {
        string verdict = !d.Excludes0 ? "[grey]not resolved[/]" : (d.Mean > 0) == higherIsBetter ? "[green]clearly better[/]" : "[red]clearly worse[/]";
        // The third format section keeps a tiny negative that rounds to zero from printing as "-+0.000".
        return Markup.Escape(FormattableString.Invariant(
            $"{d.Mean:+0.000;-0.000;0.000} [{d.Interval.Low:+0.000;-0.000;0.000}, {d.Interval.High:+0.000;-0.000;0.000}]")) + " " + verdict;
    }
}
