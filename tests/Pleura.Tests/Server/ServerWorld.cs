using System.Net.Http.Headers;
using Pleura.Server;
using Pleura.Tests.Cli;

namespace Pleura.Tests.Server;

/// <summary>A tiny grading run trained on phantoms, shared by the server tests (trained once: a few seconds).</summary>
public sealed class ServerWorld : IDisposable
{
    public const string Key = "server-test-key-0123456789";
    readonly TempFolder _root = new();

    public ServerWorld()
    {
        Check(CliRunner.Run("phantoms", "--count", "60", "--size", "64", "--seed", "3", "--out", File("ph")));
        Check(CliRunner.Run("split", File("ph/manifest.csv"), "--out", File("split.json"), "--seed", "3"));
        Check(CliRunner.Run("train", "-m", File("ph/manifest.csv"), "-s", File("split.json"), "-o", Run, "--arch", "resnet10-w16", "--size", "64",
            "--epochs1", "1", "--epochs2", "1", "--batch", "16", "--seed", "3"));
    }

    /// <summary>A lung U-Net and a run trained on the lung ROI, made on first use (the ROI tests only).</summary>
    public (string Lungs, string RoiRun) LungRoi()
    {
        lock (_root)
        {
            if (!System.IO.File.Exists(File("roi/left/model.safetensors")))
            {
                Check(CliRunner.Run("segment", "train", "--images", File("ph/images"), "-o", File("lungs.safetensors"), "--size", "64", "--epochs", "3",
                    "--arch", "unet-w8", "--test", "0.2", "--mask", "left_lung=" + File("ph/masks/left_lung"), "--mask", "right_lung=" + File("ph/masks/right_lung")));
                Check(CliRunner.Run("train", "-m", File("ph/manifest.csv"), "-s", File("split.json"), "-o", File("roi"), "--roi", "lung", "--arch", "resnet10-w16",
                    "--size", "64", "--epochs1", "1", "--epochs2", "1", "--batch", "16", "--seed", "3"));
            }
            return (File("lungs.safetensors"), File("roi"));
        }
    }

    public string Run => File("run");
    public string File(string name) => Path.Combine(_root.Path, name);
    public string Image(int k) => File($"ph/images/ph{k:00000}.png");

    public ServeOptions Options(Func<ServeOptions, ServeOptions>? change = null)
    {
        var options = new ServeOptions { Runs = new[] { Run }, Port = 0, ApiKeys = new[] { Key }, TempFolder = File("serve-" + Guid.NewGuid().ToString("N")[..8]), JsonLogs = false };
        return change is null ? options : change(options);
    }

    public static HttpClient Client(PleuraServer server, string? key = Key)
    {
        var client = new HttpClient { BaseAddress = new Uri(server.Addresses[0]), Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) client.DefaultRequestHeaders.Add("X-API-Key", key);
        return client;
    }

    public static ByteArrayContent Body(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    static void Check(int code)
    {
        if (code != 0) throw new InvalidOperationException($"setting up the server tests' run failed with exit code {code}");
    }

    public void Dispose() => _root.Dispose();
}
