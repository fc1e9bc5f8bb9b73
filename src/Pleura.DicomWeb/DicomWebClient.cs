using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Pleura.Dicom;

namespace Pleura.DicomWeb;

/// <summary>What a STOW-RS store reported: the instances stored and those refused (with the server's failure reason code).</summary>
public sealed record StoreResult(IReadOnlyList<string> Stored, IReadOnlyList<(string SopInstanceUid, int? Reason)> Failed);

/// <summary>
/// A DICOMweb client (PS3.18) for one server root, e.g. http://pacs:8042/dicom-web/: QIDO-RS searches (studies, a
/// study's series and instances, as DICOM JSON), WADO-RS retrieval (a study's or series' instances as
/// multipart/related; type="application/dicom", transfer syntax as stored) and STOW-RS storage. Every failure is a
/// <see cref="DicomWebException"/> that names the server and says whether it could not be reached, was too slow
/// (the HttpClient's Timeout) or refused the request (the status and the server's own message).
/// </summary>
public sealed class DicomWebClient : IDisposable
{
    readonly HttpClient http;
    readonly bool ownsHttp;

    /// <param name="root">The DICOMweb root; a missing trailing slash is added so relative paths resolve under it.</param>
    public DicomWebClient(HttpClient http, Uri root)
    {
        this.http = http;
        Root = root.AbsoluteUri.EndsWith('/') ? root : new Uri(root.AbsoluteUri + "/");
    }

    /// <summary>A client with its own HttpClient: the given timeout per call, optional HTTP Basic credentials.</summary>
    public DicomWebClient(Uri root, TimeSpan timeout, string? user = null, string? password = null)
        : this(new HttpClient { Timeout = timeout }, root)
    {
        ownsHttp = true;
        if (user is not null)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    public Uri Root { get; }

    public Task<IReadOnlyList<DicomJsonObject>> SearchStudiesAsync(IReadOnlyDictionary<string, string>? query = null, CancellationToken cancel = default) =>
        SearchAsync("studies" + Query(query), cancel);

    public Task<IReadOnlyList<DicomJsonObject>> SearchSeriesAsync(string studyUid, CancellationToken cancel = default) =>
        SearchAsync($"studies/{Escape(studyUid)}/series", cancel);

    public Task<IReadOnlyList<DicomJsonObject>> SearchInstancesAsync(string studyUid, string? seriesUid = null, CancellationToken cancel = default) =>
        SearchAsync(seriesUid is null ? $"studies/{Escape(studyUid)}/instances" : $"studies/{Escape(studyUid)}/series/{Escape(seriesUid)}/instances", cancel);

    public Task<IReadOnlyList<byte[]>> RetrieveStudyAsync(string studyUid, CancellationToken cancel = default) =>
        RetrieveAsync($"studies/{Escape(studyUid)}", cancel);

    public Task<IReadOnlyList<byte[]>> RetrieveSeriesAsync(string studyUid, string seriesUid, CancellationToken cancel = default) =>
        RetrieveAsync($"studies/{Escape(studyUid)}/series/{Escape(seriesUid)}", cancel);

    public async Task<byte[]> RetrieveInstanceAsync(string studyUid, string seriesUid, string instanceUid, CancellationToken cancel = default)
    {
        var parts = await RetrieveAsync($"studies/{Escape(studyUid)}/series/{Escape(seriesUid)}/instances/{Escape(instanceUid)}", cancel).ConfigureAwait(false);
        return parts.Count == 1 ? parts[0] : throw new DicomWebException(DicomWebFailure.BadResponse, $"{Root}: expected one instance {instanceUid}, got {parts.Count}");
    }

    /// <summary>STOW-RS: stores Part-10 instances (into <paramref name="studyUid"/> when given, which the server checks).</summary>
    public async Task<StoreResult> StoreAsync(IReadOnlyList<byte[]> instances, string? studyUid = null, CancellationToken cancel = default)
    {
        if (instances.Count == 0) return new StoreResult([], []);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Root, studyUid is null ? "studies" : $"studies/{Escape(studyUid)}"));
        request.Content = MultipartRelated.Write(instances);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/dicom+json"));
        // Partial success is 202 and complete failure 409 with the same body (PS3.18 10.5.3): read it either way.
        var (status, _, body) = await SendAsync(request, cancel, acceptConflict: true).ConfigureAwait(false);
        var result = ParseStoreResult(body, request.RequestUri!);
        if (status == HttpStatusCode.Conflict && result.Failed.Count == 0)
            throw new DicomWebException(DicomWebFailure.Refused, $"{Describe(request)} was refused (409 Conflict): {Message(body)}", 409);
        return result;
    }

    async Task<IReadOnlyList<DicomJsonObject>> SearchAsync(string relative, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Root, relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/dicom+json"));
        var (status, _, body) = await SendAsync(request, cancel).ConfigureAwait(false);
        if (status == HttpStatusCode.NoContent || body.Length == 0) return [];
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new DicomWebException(DicomWebFailure.BadResponse, $"{Describe(request)}: the answer is not a JSON array of results");
            return document.RootElement.EnumerateArray().Select(e => new DicomJsonObject(e.Clone())).ToList();
        }
        catch (JsonException e)
        {
            throw new DicomWebException(DicomWebFailure.BadResponse, $"{Describe(request)}: the answer is not DICOM JSON ({e.Message})", null, e);
        }
    }

    async Task<IReadOnlyList<byte[]>> RetrieveAsync(string relative, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Root, relative));
        // transfer-syntax=* asks for the instances as stored (no transcoding, PS3.18 8.7.3.5.2).
        request.Headers.TryAddWithoutValidation("Accept", $"multipart/related; type=\"{MultipartRelated.DicomType}\"; transfer-syntax=*");
        var (_, contentType, body) = await SendAsync(request, cancel).ConfigureAwait(false);
        try
        {
            var parts = MultipartRelated.Read(body, contentType ?? "");
            var wrong = parts.FirstOrDefault(p => p.ContentType is { } t && !t.StartsWith(MultipartRelated.DicomType, StringComparison.OrdinalIgnoreCase) || p.ContentType is null);
            if (wrong is not null) throw new FormatException($"a part is '{wrong.ContentType ?? "(no content type)"}', not {MultipartRelated.DicomType}");
            return parts.Select(p => p.Body.ToArray()).ToList();
        }
        catch (FormatException e)
        {
            throw new DicomWebException(DicomWebFailure.BadResponse, $"{Describe(request)}: the answer is not a multipart/related body of DICOM instances ({e.Message})", null, e);
        }
    }

    /// <summary>Sends one request; connection failures, timeouts and error statuses become <see cref="DicomWebException"/>.</summary>
    async Task<(HttpStatusCode Status, string? ContentType, byte[] Body)> SendAsync(HttpRequestMessage request, CancellationToken cancel, bool acceptConflict = false)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancel).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            var why = e.InnerException is SocketException s ? s.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused: is the PACS running?",
                SocketError.HostNotFound or SocketError.TryAgain => "host not found",
                _ => s.Message,
            } : e.Message;
            throw new DicomWebException(DicomWebFailure.Unreachable, $"the PACS at {Root} cannot be reached ({why}) for {Describe(request)}", null, e);
        }
        catch (TaskCanceledException e) when (!cancel.IsCancellationRequested)
        {
            throw new DicomWebException(DicomWebFailure.Timeout,
                $"the PACS at {Root} did not answer {Describe(request)} within {http.Timeout.TotalSeconds:0.#} s", null, e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancel).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode && !(acceptConflict && response.StatusCode == HttpStatusCode.Conflict))
            {
                int code = (int)response.StatusCode;
                throw new DicomWebException(DicomWebFailure.Refused, $"the PACS at {Root} answered {code} {response.ReasonPhrase} to {Describe(request)}: {Message(body)}", code);
            }
            return (response.StatusCode, response.Content.Headers.ContentType?.ToString(), body);
        }
    }

    /// <summary>The server's own explanation: Orthanc's and most servers' JSON error fields, else the start of the text.</summary>
    static string Message(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 2000)).Trim();
        if (text.Length == 0) return "(no message)";
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                var fields = new[] { "Message", "Details", "message", "error", "detail" }
                    .Select(f => document.RootElement.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null)
                    .Where(v => !string.IsNullOrWhiteSpace(v)).Distinct().ToList();
                if (fields.Count > 0) return string.Join(": ", fields);
            }
        }
        catch (JsonException) { }
        return text.Length > 300 ? text[..300] + "..." : text;
    }

    static StoreResult ParseStoreResult(byte[] body, Uri uri)
    {
        if (body.Length == 0) return new StoreResult([], []);
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = new DicomJsonObject(document.RootElement.Clone());
            List<JsonElement> Items(string tag) => root.Json.TryGetProperty(tag, out var sq) && sq.TryGetProperty("Value", out var v) && v.ValueKind == JsonValueKind.Array
                ? v.EnumerateArray().ToList() : [];
            var stored = Items("00081199").Select(i => new DicomJsonObject(i).GetString(new DicomTag(0x0008, 0x1155)) ?? "").ToList();
            var failed = Items("00081198").Select(i => (new DicomJsonObject(i).GetString(new DicomTag(0x0008, 0x1155)) ?? "",
                new DicomJsonObject(i).GetInt(new DicomTag(0x0008, 0x1197)))).ToList();
            return new StoreResult(stored, failed);
        }
        catch (JsonException e)
        {
            throw new DicomWebException(DicomWebFailure.BadResponse, $"POST {uri}: the store response is not DICOM JSON ({e.Message})", null, e);
        }
    }

    static string Describe(HttpRequestMessage request) => $"{request.Method} {request.RequestUri}";

    static string Escape(string uid) => Uri.EscapeDataString(uid.Trim());

    static string Query(IReadOnlyDictionary<string, string>? query) =>
        query is null || query.Count == 0 ? "" : "?" + string.Join('&', query.Select(kv => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(kv.Value)}"));

    public void Dispose()
    {
        if (ownsHttp) http.Dispose();
    }
}
