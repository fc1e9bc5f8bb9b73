using System.CommandLine;
using System.Reflection;
using Pleura.Cli.Deployment;
using Pleura.Networks;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show versions of Pleura and its native libraries, whether this CPU computes bfloat16 natively, and check that libtorch, libvips and every deployed assembly work on this machine.");
        command.SetAction(_ => Cli.Run(() =>
        {
            var table = new Table().AddColumns("component", "version / status");
            table.AddRow("pleura", Assembly.GetExecutingAssembly().GetName().Version?.ToString() ?? "?");
            table.AddRow(".NET", Environment.Version.ToString());
            table.AddRow("cores", Environment.ProcessorCount.ToString());
            table.AddRow("libvips", NetVips.NetVips.Version(0) + "." + NetVips.NetVips.Version(1) + "." + NetVips.NetVips.Version(2));
            var product = TorchRuntime.SelfTest();
            bool ok = product.SequenceEqual(new float[] { 19, 22, 43, 50 });
            table.AddRow("libtorch", $"{TorchRuntime.LibTorchVersion} ({(ok ? "[green]computes correctly[/]" : "[red]wrong result[/]")})");
            var cpu = CpuArithmetic.Current;
            table.AddRow("bfloat16", Markup.Escape(cpu.NativeBFloat16
                ? $"native ({cpu.Evidence}): --precision auto uses bf16 where a model's agreement check holds"
                : $"not native ({cpu.Evidence}): emulated and several times slower than fp32; --precision auto uses fp32"));
            string? cap = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA");
            table.AddRow("oneDNN ISA", Markup.Escape(cpu.OneDnnIsa + (cap is null ? "" : $" (capped by ONEDNN_MAX_CPU_ISA={cap})")));
            var unresolved = AssemblyClosure.Check(AppContext.BaseDirectory);
            table.AddRow("assemblies", unresolved.Count == 0
                ? "[green]every reference resolves[/]"
                : $"[red]{unresolved.Count} unresolved[/]");
            AnsiConsole.Write(table);
            foreach (var problem in unresolved) Cli.Error(problem.ToString());
            return ok && unresolved.Count == 0 ? Cli.ExitOk : Cli.ExitInvalidData;
        }));
        return command;
    }
}
