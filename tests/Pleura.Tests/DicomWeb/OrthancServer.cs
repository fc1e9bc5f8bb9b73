using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Pleura.DicomWeb;

namespace Pleura.Tests.DicomWeb;

/// <summary>
/// A real Orthanc PACS for the tests (Debian packages orthanc and orthanc-dicomweb): started with a temporary storage
/// folder, free HTTP and DICOM ports, the DICOMweb plugin and a generated password, ready once /system answers, killed
/// and removed on Dispose. It ignores any system Orthanc service (other ports, other storage). Shared by a test class
/// as a fixture and started on first use, so tests skip with a message where Orthanc is not installed.
/// </summary>
public sealed class OrthancServer : IDisposable
{
    public const string User = "pleura";

    static readonly string[] Executables = ["/usr/sbin/Orthanc", "/usr/bin/Orthanc"];
    static readonly string[] PluginFolders = ["/usr/share/orthanc/plugins", "/usr/lib/orthanc"];

    readonly Lock gate = new();
    TempFolder? folder;
    Process? process;

    public string Password { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
    public Uri Http { get; private set; } = null!;
    public Uri DicomWebRoot => new(Http, "dicom-web/");

    public static string? Executable => Executables.FirstOrDefault(File.Exists)
        ?? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "Orthanc")).FirstOrDefault(File.Exists);

    public static string? DicomWebPlugin => PluginFolders.Where(Directory.Exists)
        .SelectMany(d => Directory.EnumerateFiles(d, "libOrthancDicomWeb.so*")).OrderBy(f => f.Length).FirstOrDefault();

    /// <summary>Starts Orthanc if it is not running yet; skips the calling test when it is not installed.</summary>
    public OrthancServer Start()
    {
        Skip.If(Executable is null, "Orthanc is not installed (Debian: apt-get install orthanc orthanc-dicomweb)");
        Skip.If(DicomWebPlugin is null, "Orthanc's DICOMweb plugin is not installed (Debian: apt-get install orthanc-dicomweb)");
        lock (gate)
        {
            if (process is { HasExited: false }) return this;
            folder = new TempFolder();
            int httpPort = FreePort(), dicomPort = FreePort();
            Http = new Uri($"http://127.0.0.1:{httpPort}/");
            var storage = Path.Combine(folder.Path, "storage");
            Directory.CreateDirectory(storage);
            var config = new Dictionary<string, object>
            {
                ["Name"] = "PleuraTests",
                ["StorageDirectory"] = storage,
                ["IndexDirectory"] = storage,
                ["HttpPort"] = httpPort,
                ["DicomPort"] = dicomPort,
                ["DicomAet"] = "PLEURATEST",
                ["RemoteAccessAllowed"] = false,
                ["AuthenticationEnabled"] = true,
                ["RegisteredUsers"] = new Dictionary<string, string> { [User] = Password },
                ["HttpCompressionEnabled"] = false,
                ["ConcurrentJobs"] = 1,
                ["Plugins"] = new[] { DicomWebPlugin! },
                ["DicomWeb"] = new Dictionary<string, object> { ["Enable"] = true, ["Root"] = "/dicom-web/", ["Host"] = $"127.0.0.1:{httpPort}" },
            };
            var configPath = Path.Combine(folder.Path, "orthanc.json");
            File.WriteAllText(configPath, JsonSerializer.Serialize(config));
            var start = new ProcessStartInfo(Executable!) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder.Path };
            start.ArgumentList.Add(configPath);
            var log = new System.Text.StringBuilder();
            process = Process.Start(start)!;
            process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            WaitUntilReady(log);
            return this;
        }
    }

    public DicomWebClient Client(TimeSpan? timeout = null) => new(DicomWebRoot, timeout ?? TimeSpan.FromSeconds(60), User, Password);

    /// <summary>Orthanc's own REST API (not DICOMweb), authenticated: for checks independent of Pleura's client.</summary>
    public JsonElement Rest(string path)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{User}:{Password}")));
        var text = http.GetStringAsync(new Uri(Http, path)).GetAwaiter().GetResult();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public byte[] RestBytes(string path)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{User}:{Password}")));
        return http.GetByteArrayAsync(new Uri(Http, path)).GetAwaiter().GetResult();
    }

    void WaitUntilReady(System.Text.StringBuilder log)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{User}:{Password}")));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process!.HasExited) throw new InvalidOperationException($"Orthanc exited with {process.ExitCode} on start:\n{Tail(log)}");
            try
            {
                using var response = http.GetAsync(new Uri(Http, "system")).GetAwaiter().GetResult();
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            Thread.Sleep(200);
        }
        throw new InvalidOperationException($"Orthanc did not answer /system within 60 s:\n{Tail(log)}");
    }

    static string Tail(System.Text.StringBuilder log)
    {
        lock (log) return string.Join('\n', log.ToString().Split('\n').TakeLast(20));
    }

    public static int FreePort() => TestProcesses.FreePort();

    public void Dispose()
    {
        lock (gate)
        {
            if (process is not null)
            {
                try
                {
                    if (!process.HasExited) { process.Kill(entireProcessTree: true); process.WaitForExit(10_000); }
                }
                catch (InvalidOperationException) { }
                process.Dispose();
                process = null;
            }
            folder?.Dispose();
            folder = null;
        }
    }
}
