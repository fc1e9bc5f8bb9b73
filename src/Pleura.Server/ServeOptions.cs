namespace Pleura.Server;

/// <summary>What the operator chose when starting `pleura serve`; every limit has a safe default.</summary>
public sealed record ServeOptions
{
    /// <summary>Grading run folders (`pleura train` / `pleura demo`), each loaded once; the first is the default model.</summary>
    public required IReadOnlyList<string> Runs { get; init; }
    /// <summary>A view classifier run (`pleura classify train` on frontal vs lateral) that checks each image first.</summary>
    public string? ViewRun { get; init; }
    /// <summary>The lung U-Net (`pleura segment train`): needed by runs trained on a lung ROI; gives HCS and lung outlines.</summary>
    public string? LungModel { get; init; }
    /// <summary>The PACS's DICOMweb root, for <c>POST /v1/studies/{uid}</c> (null: the route answers 503).</summary>
    public Uri? Pacs { get; init; }
    public string? PacsUser { get; init; }
    public string? PacsPassword { get; init; }
    public TimeSpan PacsTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port (tests); the bound address is then in <see cref="PleuraServer.Addresses"/>.</summary>
    public int Port { get; init; } = 8080;
    /// <summary>Serve runs whose training stopped midway, answering for their finished lung only (every answer names the other).</summary>
    public bool AllowIncomplete { get; init; }
    public bool BFloat16 { get; init; }
    /// <summary>Keys a caller sends as <c>X-API-Key</c> or <c>Authorization: Bearer</c>. There is no default key.</summary>
    public required IReadOnlyList<string> ApiKeys { get; init; }
    /// <summary>Largest request body (413 above it).</summary>
    public long MaxUploadBytes { get; init; } = 64L << 20;
    /// <summary>Largest image, in pixels, that is decoded (a decompression bomb is refused from its header, 413).</summary>
    public long MaxPixels { get; init; } = 100_000_000;
    /// <summary>The whole upload must arrive within this (408 otherwise).</summary>
    public TimeSpan UploadTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Grading requests handled at once; more are refused with 429 (a client retries after the Retry-After).</summary>
    public int MaxConcurrentRequests { get; init; } = 32;
    /// <summary>Images graded in one forward pass, and how long the batcher waits for more before running a smaller one.</summary>
    public int MaxBatch { get; init; } = 16;
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(5);
    /// <summary>Where uploads are written while they are graded (deleted after each request).</summary>
    public string? TempFolder { get; init; }
    /// <summary>Structured (JSON) request logs on stdout.</summary>
    public bool JsonLogs { get; init; } = true;

    /// <summary>Refuses settings that cannot serve safely, with one message per problem.</summary>
    public void Check()
    {
        var problems = new List<string>();
        if (Runs.Count == 0) problems.Add("give at least one grading run folder");
        if (ApiKeys.Count == 0 || ApiKeys.Any(string.IsNullOrWhiteSpace))
            problems.Add("no API key configured: give --api-key-file FILE (one key per line) or set PLEURA_API_KEYS; Pleura has no default key");
        else if (ApiKeys.Any(k => k.Trim().Length < 16)) problems.Add("API keys must be at least 16 characters (e.g. `openssl rand -hex 24`)");
        if (MaxUploadBytes <= 0 || MaxPixels <= 0 || MaxConcurrentRequests <= 0 || MaxBatch <= 0) problems.Add("limits must be positive");
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
    }
}
