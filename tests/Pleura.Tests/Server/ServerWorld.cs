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

    /// <summary>
    /// A view classifier (classes frontal and lateral) made on first use: phantoms as they are against the same turned
    /// by 90 degrees, which stands in for a lateral view (one class per patient), and one turned image kept out.
    /// </summary>
    public (string ViewRun, string Turned) View()
    {
        lock (_root)
        {
            if (!System.IO.File.Exists(File("view/fold2/model.safetensors")))
            {
                // A set of its own, as large as the classifier tests' (which reach AUC > 0.95 on it).
                var manifest = Pleura.Phantoms.PhantomDataset.Generate(new Pleura.Phantoms.PhantomOptions { Count = 120, Size = 64, Seed = 4 }, File("views"));
                var rows = new List<string> { "path,class,patient" };
                Directory.CreateDirectory(File("turned"));
                foreach (var row in manifest.Rows)
                {
                    bool turned = row.PatientId.GetHashCode(StringComparison.Ordinal) % 2 == 0;
                    var path = manifest.ResolvePath(row);
                    if (turned)
                    {
                        path = File($"turned/{row.ImageId}.png");
                        Pleura.Imaging.PngWriter.Write(Pleura.Imaging.RobustnessTransforms.Rotate90(Pleura.Imaging.RadiographReader.Read(manifest.ResolvePath(row))), path);
                    }
                    rows.Add($"{path},{(turned ? "lateral" : "frontal")},{row.PatientId}");
                }
                System.IO.File.WriteAllLines(File("views.csv"), rows);
                Check(CliRunner.Run("classify", "train", File("views.csv"), "-o", File("view"), "--folds", "2", "--arch", "resnet10-w16", "--size", "64",
                    "--epochs1", "2", "--epochs2", "10", "--batch", "8", "--lr1", "0.003", "--lr2", "0.001", "--unfreeze", "-1"));
                PngWriterRotated(Image(1), File("lateral-like.png"));
            }
            return (File("view"), File("lateral-like.png"));
        }
    }

    static void PngWriterRotated(string from, string to) =>
        Pleura.Imaging.PngWriter.Write(Pleura.Imaging.RobustnessTransforms.Rotate90(Pleura.Imaging.RadiographReader.Read(from)), to);

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
