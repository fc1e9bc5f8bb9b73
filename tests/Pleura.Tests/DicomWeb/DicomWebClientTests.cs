using System.Net;
using System.Net.Sockets;
using Pleura.Dicom;
using Pleura.DicomWeb;

namespace Pleura.Tests.DicomWeb;

/// <summary>The DICOMweb client against a real Orthanc with its DICOMweb plugin, and against servers that are down or slow.</summary>
public class DicomWebClientTests(OrthancServer orthanc) : IClassFixture<OrthancServer>
{
    [SkippableFact]
    public async Task Stores_searches_and_retrieves_the_shared_dicom_files()
    {
        var folder = SharedFolder.Require("data", "dicom");
        var files = File.ReadLines(Path.Combine(folder, "index.csv")).Skip(1).Where(l => l.Length > 0)
            .Select(l => Path.Combine(folder, l.Split(',')[0])).ToList();
        orthanc.Start();
        using var client = orthanc.Client();
        var uploads = files.Select(f => (Path: f, Bytes: File.ReadAllBytes(f), Header: DicomFileReader.Read(f, readPixelData: false).Dataset)).ToList();

        // One STOW-RS request per few files keeps each body small.
        foreach (var chunk in uploads.Chunk(5))
        {
            var stored = await client.StoreAsync(chunk.Select(u => u.Bytes).ToList());
            Assert.Empty(stored.Failed);
            Assert.Equal(chunk.Select(u => u.Header.SOPInstanceUID), stored.Stored);
        }
        // Orthanc's own REST API (not DICOMweb) sees every instance.
        var instances = orthanc.Rest("instances");
        Assert.True(instances.GetArrayLength() >= uploads.Count);

        var studies = await client.SearchStudiesAsync();
        foreach (var study in uploads.GroupBy(u => u.Header.StudyInstanceUID!))
        {
            Assert.Contains(studies, s => s.StudyInstanceUID == study.Key);
            var found = await client.SearchInstancesAsync(study.Key);
            Assert.Equal(study.Select(u => u.Header.SOPInstanceUID).Order(), found.Select(f => f.SOPInstanceUID).Order());
            var series = await client.SearchSeriesAsync(study.Key);
            Assert.Equal(study.Select(u => u.Header.SeriesInstanceUID).Distinct().Order(), series.Select(s => s.SeriesInstanceUID).Order());

            var retrieved = await client.RetrieveStudyAsync(study.Key);
            Assert.Equal(study.Count(), retrieved.Count);
            foreach (var bytes in retrieved)
            {
                var back = DicomFileReader.Read(bytes, "retrieved", readPixelData: false).Dataset;
                var sent = study.Single(u => u.Header.SOPInstanceUID == back.SOPInstanceUID);
                // As stored: the file comes back unchanged (a bare dataset gains the file meta Orthanc gives it).
                if (DicomFileReader.Read(sent.Bytes, sent.Path, readPixelData: false).HasFileMeta) Assert.Equal(sent.Bytes, bytes);
            }
        }
        var first = uploads[0].Header;
        var one = await client.RetrieveInstanceAsync(first.StudyInstanceUID!, first.SeriesInstanceUID!, first.SOPInstanceUID!);
        Assert.Equal(first.SOPInstanceUID, DicomFileReader.Read(one, "one", readPixelData: false).Dataset.SOPInstanceUID);
        var filtered = await client.SearchStudiesAsync(new Dictionary<string, string> { ["StudyInstanceUID"] = first.StudyInstanceUID! });
        Assert.Equal(first.StudyInstanceUID, Assert.Single(filtered).StudyInstanceUID);
    }

    [SkippableFact]
    public async Task An_unknown_study_is_an_empty_search_and_a_404_with_orthancs_message()
    {
        orthanc.Start();
        using var client = orthanc.Client();
        Assert.Empty(await client.SearchInstancesAsync("1.2.3.999"));
        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.RetrieveStudyAsync("1.2.3.999"));
        Assert.Equal(DicomWebFailure.Refused, e.Failure);
        Assert.Equal(404, e.StatusCode);
        Assert.Contains("answered 404", e.Message, StringComparison.Ordinal);
        Assert.Contains("1.2.3.999", e.Message, StringComparison.Ordinal);
        Assert.Contains("inexistent", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_wrong_password_is_refused_with_401()
    {
        orthanc.Start();
        using var client = new DicomWebClient(orthanc.DicomWebRoot, TimeSpan.FromSeconds(10), OrthancServer.User, "wrong");
        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.SearchStudiesAsync());
        Assert.Equal(401, e.StatusCode);
    }

    [Fact]
    public async Task A_pacs_that_is_down_is_named_with_connection_refused()
    {
        var root = new Uri($"http://127.0.0.1:{OrthancServer.FreePort()}/dicom-web/");
        using var client = new DicomWebClient(root, TimeSpan.FromSeconds(10));
        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.SearchStudiesAsync());
        Assert.Equal(DicomWebFailure.Unreachable, e.Failure);
        Assert.Contains(root.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains("connection refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pacs_that_never_answers_times_out_with_the_limit_in_the_message()
    {
        // Accepts connections (the kernel completes the handshake) but never sends a byte.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var root = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/dicom-web/");
            using var client = new DicomWebClient(root, TimeSpan.FromSeconds(1));
            var started = DateTime.UtcNow;
            var e = await Assert.ThrowsAsync<DicomWebException>(() => client.RetrieveStudyAsync("1.2.3"));
            Assert.Equal(DicomWebFailure.Timeout, e.Failure);
            Assert.Contains("did not answer", e.Message, StringComparison.Ordinal);
            Assert.Contains("within 1 s", e.Message, StringComparison.Ordinal);
            Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 0.5, 10);
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>A server that answers every request the same way.</summary>
    sealed class FixedAnswer(HttpStatusCode status, string contentType, string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(status) { Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body)) };
            response.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            return Task.FromResult(response);
        }
    }

    static DicomWebClient Answering(HttpStatusCode status, string contentType, string body) =>
        new(new HttpClient(new FixedAnswer(status, contentType, body)), new Uri("http://pacs.test/dicom-web"));

    [Fact]
    public async Task A_login_page_instead_of_instances_or_json_is_a_bad_response()
    {
        using var client = Answering(HttpStatusCode.OK, "text/html", "<html>please log in</html>");
        var retrieve = await Assert.ThrowsAsync<DicomWebException>(() => client.RetrieveStudyAsync("1.2"));
        Assert.Equal(DicomWebFailure.BadResponse, retrieve.Failure);
        Assert.Contains("GET http://pacs.test/dicom-web/studies/1.2: the answer is not a multipart/related body", retrieve.Message, StringComparison.Ordinal);
        var search = await Assert.ThrowsAsync<DicomWebException>(() => client.SearchStudiesAsync());
        Assert.Contains("the answer is not DICOM JSON", search.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_error_carries_the_status_and_the_servers_text()
    {
        using var client = Answering(HttpStatusCode.ServiceUnavailable, "text/plain", "database is being upgraded");
        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.SearchInstancesAsync("1.2"));
        Assert.Equal(503, e.StatusCode);
        Assert.Contains("answered 503 Service Unavailable to GET http://pacs.test/dicom-web/studies/1.2/instances: database is being upgraded", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_the_server_refuses_in_part_lists_the_failed_instances_and_reasons()
    {
        const string body = """
            {"00081198": {"vr": "SQ", "Value": [{"00081155": {"vr": "UI", "Value": ["1.2.3"]}, "00081197": {"vr": "US", "Value": [42752]}}]},
             "00081199": {"vr": "SQ", "Value": [{"00081155": {"vr": "UI", "Value": ["1.2.4"]}}]}}
            """;
        using var client = Answering(HttpStatusCode.Accepted, "application/dicom+json", body);
        var result = await client.StoreAsync([[1, 2], [3, 4]]);
        Assert.Equal(["1.2.4"], result.Stored);
        Assert.Equal(("1.2.3", (int?)42752), Assert.Single(result.Failed));
        using var conflict = Answering(HttpStatusCode.Conflict, "application/dicom+json", body);
        Assert.Single((await conflict.StoreAsync([[1, 2]])).Failed);
    }
}
