using System.CommandLine;
using Pleura.Server;

namespace Pleura.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create()
    {
        var runs = new Argument<DirectoryInfo[]>("runs") { Description = "Grading run folders (the first is the default model).", Arity = ArgumentArity.OneOrMore };
        var host = Cli.Option("--host", "Address to listen on (0.0.0.0 for every interface).", "127.0.0.1");
        var port = Cli.Option("--port", "Port to listen on.", 8080).AtLeast(0);
        var precision = Cli.Option("--precision", "auto (bf16 where this CPU computes it natively and the run's bf16 check holds, else fp32), fp32 or bf16.", "auto");
        var keyFile = Cli.Option<FileInfo?>("--api-key-file", "File of API keys, one per line (or set PLEURA_API_KEYS=key1,key2). Required: there is no default key.", null);
        var view = Cli.Option<DirectoryInfo?>("--view", "A view classifier run (`pleura classify train`, classes frontal and lateral): non-frontal images are refused.", null);
        var lungs = Cli.Option<FileInfo?>("--lungs", "The lung U-Net (`pleura segment train`): needed for runs trained on a lung ROI; gives lung outlines and HCS.", null);
        var pacs = new Option<string?>("--pacs") { Description = "DICOMweb root of the PACS for POST /v1/studies/{uid} (user from --pacs-user, password from $PLEURA_PACS_PASSWORD)." };
        var pacsUser = new Option<string?>("--pacs-user") { Description = "HTTP Basic user for the PACS." };
        var maxUpload = Cli.Option("--max-upload-mb", "Largest request body in MiB (413 above).", 64).AtLeast(1);
        var maxPixels = Cli.Option("--max-megapixels", "Largest image decoded, in megapixels (413 above).", 100).AtLeast(1);
        var concurrent = Cli.Option("--max-concurrent", "Grading requests handled at once (429 above).", 32).AtLeast(1);
        var batch = Cli.Option("--batch", "Images per forward pass.", 16).AtLeast(1);
        var allowIncomplete = Cli.AllowIncompleteOption();
        var command = new Command("serve", "Serve grading runs over HTTP: POST /v1/grade, GET /v1/models, health, OpenAPI (/openapi/v1.json), Prometheus metrics (/metrics) and a web viewer (/).")
        {
            runs, host, port, precision, keyFile, view, lungs, pacs, pacsUser, maxUpload, maxPixels, concurrent, batch, allowIncomplete,
        };
        command.SetAction((parse, cancel) => Task.Run(() => Cli.Run(() =>
        {
            var options = new ServeOptions
            {
                Runs = parse.GetValue(runs)!.Select(r => r.FullName).ToList(),
                ViewRun = parse.GetValue(view)?.FullName,
                LungModel = parse.GetValue(lungs)?.FullName,
                AllowIncomplete = parse.GetValue(allowIncomplete),
                Pacs = parse.GetValue(pacs) is { } url ? (Uri.TryCreate(url, UriKind.Absolute, out var root) && root.Scheme is "http" or "https" ? root
                    : throw new ArgumentException($"--pacs: '{url}' is not an http(s) URL")) : null,
                PacsUser = parse.GetValue(pacsUser),
                PacsPassword = Environment.GetEnvironmentVariable(GradeStudyCommand.PasswordVariable),
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                BFloat16 = Cli.Precision(parse.GetValue(precision)!, parse.GetValue(runs)!.Select(r => r.FullName).ToArray()),
                ApiKeys = ApiKeys.Read(parse.GetValue(keyFile)?.FullName, Environment.GetEnvironmentVariable("PLEURA_API_KEYS")),
                MaxUploadBytes = (long)parse.GetValue(maxUpload) << 20,
                MaxPixels = parse.GetValue(maxPixels) * 1_000_000L,
                MaxConcurrentRequests = parse.GetValue(concurrent),
                MaxBatch = parse.GetValue(batch),
            };
            if (!System.Net.IPAddress.TryParse(options.Host, out _)) throw new ArgumentException($"--host: '{options.Host}' is not an IP address");
            var server = PleuraServer.Start(options).GetAwaiter().GetResult();
            try
            {
                Cli.Done($"serving {string.Join(", ", server.Models.Runs.Select(r => r.Name))} at {string.Join(", ", server.Addresses)} (viewer at /, API at /v1, Ctrl+C stops)");
                try { server.WaitForShutdown(cancel).GetAwaiter().GetResult(); }
                catch (OperationCanceledException) { }
            }
            finally
            {
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            Cli.Done("stopped");
            return Cli.ExitOk;
        }), CancellationToken.None));
        return command;
    }
}
