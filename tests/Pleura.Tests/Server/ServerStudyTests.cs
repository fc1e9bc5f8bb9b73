using System.Net;
using System.Text.Json;
using Pleura.Dicom.Writing;
using Pleura.Grading;
using Pleura.Server;
using Pleura.Tests.DicomWeb;

namespace Pleura.Tests.Server;

/// <summary>`POST /v1/studies/{uid}` against a real Orthanc: the server grades a PACS study with its loaded models and stores the results back.</summary>
[Collection("console")]
public sealed class ServerStudyTests(OrthancServer orthanc, StudyGradingWorld world) : IClassFixture<OrthancServer>, IClassFixture<StudyGradingWorld>
{
    const string Key = "study-route-key-0123456789";

    ServeOptions Options(Uri? pacs) => new()
    {
        Runs = new[] { world.Run }, Port = 0, ApiKeys = new[] { Key }, JsonLogs = false, Pacs = pacs, PacsUser = OrthancServer.User,
        PacsPassword = orthanc.Password, PacsTimeout = TimeSpan.FromSeconds(20), TempFolder = world.File("serve-" + Guid.NewGuid().ToString("N")[..8]),
    };

    static HttpClient Client(PleuraServer server)
    {
        var client = new HttpClient { BaseAddress = new Uri(server.Addresses[0]), Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Add("X-API-Key", Key);
        return client;
    }

    [SkippableFact]
    public async Task A_study_is_graded_through_the_server_and_its_reports_land_in_the_same_study()
    {
        orthanc.Start();
        using var pacs = orthanc.Client();
        var studyUid = DicomUid.New();
        var frontal = new[] { 5, 6 }.Select(i => world.PhantomInStudy(i, studyUid)).ToList();
        var lateral = world.PhantomInStudy(7, studyUid, view: "LL");
        Assert.Empty((await pacs.StoreAsync(frontal.Append(lateral).Select(d => DicomFileWriter.ToBytes(d)).ToList(), studyUid)).Failed);

        var local = world.File("server-study-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(local);
        var files = frontal.Select(d => { var f = Path.Combine(local, d.SOPInstanceUID + ".dcm"); DicomFileWriter.Write(f, d); return f; }).ToList();
        var (expected, _, _) = ImagePrediction.Predict(world.Run, files);

        await using var server = await PleuraServer.Start(Options(orthanc.DicomWebRoot));
        using var client = Client(server);
        using var response = await client.PostAsync($"/v1/studies/{studyUid}?overlay=true", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        var graded = json.RootElement.GetProperty("graded").EnumerateArray().ToList();
        Assert.Equal(2, graded.Count);
        foreach (var g in graded)
        {
            var sop = g.GetProperty("sopInstanceUid").GetString()!;
            foreach (var side in new[] { "left", "right" })
                Assert.Equal(expected.Single(p => p.ImageId.EndsWith(sop + ".dcm", StringComparison.Ordinal) && p.Side == side).Predicted,
                    g.GetProperty(side).GetProperty("grade").GetInt32());
        }
        Assert.Contains(json.RootElement.GetProperty("skipped").EnumerateArray(), s => s.GetProperty("sopInstanceUid").GetString() == lateral.SOPInstanceUID);
        Assert.Equal(4, json.RootElement.GetProperty("stored").GetArrayLength());
        // Orthanc itself holds the new SR and SC series in the same study.
        var series = await pacs.SearchSeriesAsync(studyUid);
        Assert.Contains(series, s => s.Modality == "SR");
        Assert.Contains(series, s => s.Modality == "OT");

        using var unknown = await client.PostAsync($"/v1/studies/{DicomUid.New()}", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("not on the PACS", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_pacs_the_route_says_so_and_a_pacs_that_is_down_is_a_bad_gateway()
    {
        await using (var server = await PleuraServer.Start(Options(null)))
        {
            using var client = Client(server);
            using var response = await client.PostAsync("/v1/studies/1.2.3", null);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("--pacs", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        int port = TestProcesses.FreePort();
        await using (var server = await PleuraServer.Start(Options(new Uri($"http://127.0.0.1:{port}/dicom-web/"))))
        {
            using var client = Client(server);
            using var response = await client.PostAsync("/v1/studies/1.2.3", null);
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Contains("refused", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
    }
}
