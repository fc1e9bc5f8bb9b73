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

    /// <summary>Where errors and warnings go (standard error), so that a command's output can be piped.</summary>
    internal static IAnsiConsole ErrorConsole { get; set; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    public static int Invoke(RootCommand root, string[] args)
    {
        // Redirected output (logs, CI) has no terminal width; tables would wrap at 80 columns.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;
        if (Console.IsErrorRedirected) ErrorConsole.Profile.Width = 160;
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && !args.Any(a => a is "-h" or "--help" or "-?"))
        {
            // A usage error is a line per problem and a pointer to the help, not the whole help page.
            foreach (var e in parsed.Errors) Error(UsageMessage(e.Message));
            ErrorConsole.MarkupLineInterpolated($"[grey]see `pleura {string.Join(' ', CommandPath(parsed).Append("--help"))}`[/]");
            return ExitUsage;
        }
        if (Environment.GetEnvironmentVariable(CheckOnlyVariable) == "1") return CheckOnly(parsed, args);
        // Ctrl+C cancels the command's token; training stops at the next batch, saves and says how to resume.
        // Only the asynchronous pipeline registers the Ctrl+C handler; the synchronous one would let SIGINT end the process mid-write.
        return parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(60) })
            .GetAwaiter().GetResult();
    }

    /// <summary>
    /// Set to 1, every command only parses (its options and values, as above) and checks that its input paths exist,
    /// then exits without running: how a script (the bench scripts, build/smoke.sh) is checked end to end in seconds.
    /// </summary>
    public const string CheckOnlyVariable = "PLEURA_CHECK_ONLY";
    /// <summary>With <see cref="CheckOnlyVariable"/>: arguments under this folder (or NAME=PATH values) are inputs that must exist.</summary>
    public const string CheckInputsVariable = "PLEURA_CHECK_INPUTS";

    /// <summary>The command's whole path ("study run"), without the root's own name.</summary>
    static List<string> CommandPath(System.CommandLine.ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result.Command is not RootCommand; result = (System.CommandLine.Parsing.CommandResult)result.Parent!)
            names.Insert(0, result.Command.Name);
        return names;
    }

    static int CheckOnly(System.CommandLine.ParseResult parsed, string[] args)
    {
        var names = CommandPath(parsed);
        var root = Environment.GetEnvironmentVariable(CheckInputsVariable) is { Length: > 0 } r ? Path.GetFullPath(r) : null;
        var inputs = root is null ? [] : args.Select(a => a.Contains('=') ? a[(a.IndexOf('=') + 1)..] : a)
            .Where(a => a.StartsWith(root, StringComparison.Ordinal)).ToList();
        var missing = inputs.Where(a => !File.Exists(a) && !Directory.Exists(a)).ToList();
        foreach (var m in missing) Error($"{m}: input not found");
        AnsiConsole.MarkupLineInterpolated($"check: pleura {string.Join(' ', names)} parses; {inputs.Count - missing.Count} of {inputs.Count} inputs found");
        return missing.Count == 0 ? ExitOk : ExitInvalidData;
    }

    /// <summary>
    /// The inference precision for `--precision` (auto, fp32, bf16) and the runs to be scored: says which it chose and
    /// why (a warning when bf16 is asked on a CPU that only emulates it).
    /// </summary>
    public static bool Precision(string requested, params string[] runFolders)
    {
        var choice = Pleura.Grading.PrecisionChoice.For(Pleura.Grading.PrecisionChoice.Parse(requested), Pleura.Networks.CpuArithmetic.Current,
            runFolders.Select(Pleura.Grading.PrecisionCheck.Read).ToList());
        if (choice.Warning) Warn(choice.Reason);
        else ErrorConsole.MarkupLineInterpolated($"[grey]precision: {choice.Reason}[/]");
        return choice.BFloat16;
    }

    /// <summary>System.CommandLine's parse errors, in the user's words rather than .NET type names.</summary>
    internal static string UsageMessage(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, @"^Cannot parse argument '(.*?)' for (?:option|argument) '(.*?)' as expected type '(.*?)'");
        if (!m.Success) return message.Replace("\n\t", " ").Replace('\n', ' ');
        var (value, name, type) = (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value);
        string expected = type switch
        {
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Double" or "System.Single" => "a number",
            "System.Boolean" => "true or false",
            _ => AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(type)).FirstOrDefault(t => t is { IsEnum: true }) is { } e
                ? "one of " + string.Join(", ", Enum.GetNames(e).Select(n => n.ToLowerInvariant()))
                : "a valid value",
        };
        return $"{name}: '{value}' is not {expected}";
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

    /// <summary>`--allow-incomplete`: answer from a run whose training stopped midway, for its finished lung only, saying so in every output.</summary>
    public static Option<bool> AllowIncompleteOption() => Option("--allow-incomplete",
        "Answer from a run whose training stopped midway (refused otherwise), for the lung whose model finished only; every output names the lung left out.", false);

    public static void Error(string message) => ErrorConsole.MarkupLineInterpolated($"[red]error:[/] {message}");
    public static void Warn(string message) => ErrorConsole.MarkupLineInterpolated($"[yellow]warning:[/] {message}");
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

    public static Option<T> Option<T>(string name, string description, T defaultValue, params string[] aliases)
    {
        var option = new Option<T>(name, aliases) { Description = description, DefaultValueFactory = _ => defaultValue };
        // Enum values in the help as the README writes them: lower case (parsing ignores case).
        if (typeof(T).IsEnum) option.HelpName = string.Join('|', Enum.GetNames(typeof(T)).Select(n => n.ToLowerInvariant()));
        return option;
    }

    /// <summary>Refuses a value below <paramref name="minimum"/> while parsing, before any work starts (exit 2).</summary>
    public static Option<T> AtLeast<T>(this Option<T> option, T minimum) where T : IComparable<T>
    {
        option.Validators.Add(result =>
        {
            if (!TryValue(result, out T? value)) return;
            if (value is not null && value.CompareTo(minimum) < 0) result.AddError($"{option.Name} must be at least {minimum}, not {value}");
        });
        return option;
    }

    /// <summary>The option's value, or false when it did not parse (that error is reported already).</summary>
    static bool TryValue<T>(System.CommandLine.Parsing.OptionResult result, out T? value)
    {
        try { value = result.GetValueOrDefault<T>(); return true; }
        catch (InvalidOperationException) { value = default; return false; }
    }

    /// <summary>Refuses a fraction outside [0, 1) while parsing.</summary>
    public static Option<double> Fraction(this Option<double> option)
    {
        option.Validators.Add(result =>
        {
            if (!TryValue(result, out double value)) return;
            if (!(value >= 0 && value < 1)) result.AddError($"{option.Name} must be a fraction from 0 to below 1, not {value}");
        });
        return option;
    }

    public static Option<T> RequiredOption<T>(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, Required = true };

    /// <summary>A paired difference as table markup: mean [95% interval] and whether the second option is clearly better or worse.</summary>
    public static string Difference(Pleura.Evaluation.PairedDifference d, bool higherIsBetter)
    {
        string verdict = !d.Excludes0 ? "[grey]not resolved[/]" : (d.Mean > 0) == higherIsBetter ? "[green]clearly better[/]" : "[red]clearly worse[/]";
        return Markup.Escape(SignedInterval(d.Mean, d.Interval.Low, d.Interval.High)) + " " + verdict;
    }

    /// <summary>A signed figure ("+0.012", "-0.045", "+0.000"). The third format section matters: with two, .NET prints a
    /// tiny negative that rounds to zero as "-+0.000".</summary>
    public static string Signed(double value, string digits = "0.000") =>
        value.ToString($"+{digits};-{digits};+{digits}", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An estimate and its interval, signed: "-0.045 [-0.089, +0.000]".</summary>
    public static string SignedInterval(double estimate, double low, double high) => $"{Signed(estimate)} [{Signed(low)}, {Signed(high)}]";
}
