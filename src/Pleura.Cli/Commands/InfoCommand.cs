using System.CommandLine;
using System.Reflection;
using Pleura.Networks;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show versions of Pleura and its native libraries and check that libtorch and libvips work on this machine.");
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
            AnsiConsole.Write(table);
            return ok ? Cli.ExitOk : Cli.ExitInvalidData;
        }));
        return command;
    }
}
