using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Pleura.Grading;
using Pleura.Server;
using Pleura.Tests.Cli;

namespace Pleura.Tests.Server;

/// <summary>`pleura serve` against a real Kestrel on a free port: answers, limits, keys and bad input over HTTP.</summary>
[Collection("console")]
public sealed class ServeTests : IClassFixture<ServerWorld>
{
    readonly ServerWorld _world;

    public ServeTests(ServerWorld world) => _world = world;

    [Fact]
    public async Task Grades_png_raw_and_multipart_as_predict_does()
    {
        await using var server = await PleuraServer.Start(_world.Options());
        using var client = ServerWorld.Client(server);
        var (expected, _, _) = ImagePrediction.Predict(_world.Run, new[] { _world.Image(1) });

        using var raw = await client.PostAsync("/v1/grade", ServerWorld.Body(File.ReadAllBytes(_world.Image(1)), "image/png"));
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        using var form = new MultipartFormDataContent { { ServerWorld.Body(File.ReadAllBytes(_world.Image(1)), "image/png"), "image", "ph00001.png" } };
        using var multipart = await client.PostAsync("/v1/grade?heatmap=true", form);
        Assert.Equal(HttpStatusCode.OK, multipart.StatusCode);

        foreach (var answer in new[] { raw, multipart })
        {
            using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            var sides = json.RootElement.GetProperty("sides").EnumerateArray().ToList();
            Assert.Equal(2, sides.Count);
            foreach (var side in sides)
            {
                var reference = expected.Single(p => p.Side == side.GetProperty("side").GetString());
                Assert.Equal(reference.Predicted, side.GetProperty("grade").GetInt32());
                var probabilities = side.GetProperty("probabilities").EnumerateArray().Select(p => p.GetDouble()).ToArray();
                for (int c = 0; c < probabilities.Length; c++) Assert.Equal(reference.Probabilities[c], probabilities[c], 1e-5);
                Assert.Equal(reference.ExpectedGrade, side.GetProperty("expected_grade").GetDouble(), 1e-5);
            }
        }
        using var explained = JsonDocument.Parse(await multipart.Content.ReadAsStringAsync());
        Assert.Equal("ph00001.png", explained.RootElement.GetProperty("image").GetString());
        var png = Convert.FromBase64String(explained.RootElement.GetProperty("heatmap").GetProperty("overlay_png").GetString()!);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public async Task Concurrent_requests_are_batched_and_each_gets_its_own_answer()
    {
        await using var server = await PleuraServer.Start(_world.Options(o => o with { BatchWindow = TimeSpan.FromMilliseconds(50) }));
        using var client = ServerWorld.Client(server);
        var images = Enumerable.Range(0, 12).Select(_world.Image).ToList();
        var (expected, _, _) = ImagePrediction.Predict(_world.Run, images);
        var answers = await Task.WhenAll(images.Select(async image =>
        {
            using var response = await client.PostAsync("/v1/grade", ServerWorld.Body(File.ReadAllBytes(image), "image/png"));
            return (image, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
        }));
        foreach (var (image, json) in answers)
            foreach (var side in json.RootElement.GetProperty("sides").EnumerateArray())
            {
                var reference = expected.Single(p => p.ImageId == image && p.Side == side.GetProperty("side").GetString());
                Assert.Equal(reference.Probabilities[0], side.GetProperty("probabilities")[0].GetDouble(), 1e-5);
            }
    }

    [Fact]
    public async Task Every_route_but_health_and_the_viewer_page_refuses_anonymous_and_wrong_keys()
    {
        await using var server = await PleuraServer.Start(_world.Options());
        using var anonymous = ServerWorld.Client(server, key: null);
        using var wrong = ServerWorld.Client(server, key: "not-the-key-0123456789");
        var routes = server.Routes;
        Assert.Contains(routes, r => r.Pattern == "/v1/grade");
        Assert.Contains(routes, r => r.Pattern == "/metrics");
        foreach (var (pattern, method, anonymousAllowed) in routes)
        {
            var path = pattern.Replace("{documentName}", "v1").Replace("{name}", "viewer.js");
            foreach (var client in new[] { anonymous, wrong })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method == "POST") request.Content = ServerWorld.Body(File.ReadAllBytes(_world.Image(2)), "image/png");
                using var response = await client.SendAsync(request);
                if (anonymousAllowed)
                    Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {response.StatusCode}");
                else
                    Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} answered {response.StatusCode} without a valid key");
            }
        }
        // Only health and the data-free viewer files are open.
        Assert.All(routes.Where(r => r.Anonymous), r => Assert.True(r.Pattern.StartsWith("/health", StringComparison.Ordinal) || r.Pattern == "/" || r.Pattern.StartsWith("/viewer/", StringComparison.Ordinal), r.Pattern));
        using var bearer = new HttpClient { BaseAddress = new Uri(server.Addresses[0]) };
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerWorld.Key);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/v1/models")).StatusCode);
    }

    [Fact]
    public async Task Models_route_gives_each_sides_card()
    {
        await using var server = await PleuraServer.Start(_world.Options());
        using var client = ServerWorld.Client(server);
        using var json = JsonDocument.Parse(await client.GetStringAsync("/v1/models"));
        var run = json.RootElement.GetProperty("runs")[0];
        Assert.Equal("run", run.GetProperty("name").GetString());
        var left = run.GetProperty("sides").EnumerateArray().Single(s => s.GetProperty("side").GetString() == "left");
        Assert.Equal("resnet10-w16", left.GetProperty("architecture").GetString());
        Assert.Equal(64, left.GetProperty("input").GetProperty("size").GetInt32());
        Assert.Equal(64, left.GetProperty("training_data_fingerprint").GetString()!.Length);
        Assert.Equal(JsonValueKind.Object, left.GetProperty("validation").ValueKind);
        var openapi = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/v1/grade", openapi, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_requests_get_clear_json_errors_while_good_ones_are_served_and_no_file_is_left()
    {
        var options = _world.Options(o => o with { MaxUploadBytes = 2 << 20, MaxPixels = 4_000_000 });
        await using var server = await PleuraServer.Start(options);
        using var client = ServerWorld.Client(server);
        var good = File.ReadAllBytes(_world.Image(3));
        var dicom = new byte[400];
        Encoding.ASCII.GetBytes("DICM").CopyTo(dicom, 128);
        var gzip = new MemoryStream();
        using (var zip = new GZipStream(gzip, CompressionLevel.Optimal, leaveOpen: true)) zip.Write(new byte[8 << 20]);
        var cases = new (string Name, Func<HttpContent> Body, HttpStatusCode Status, string Message)[]
        {
            ("truncated DICOM", () => ServerWorld.Body(dicom, "application/dicom"), HttpStatusCode.UnprocessableEntity, "DICM"),
            ("truncated PNG", () => ServerWorld.Body(good[..(good.Length / 2)], "image/png"), HttpStatusCode.UnprocessableEntity, "truncated"),
            ("50000 x 50000 PNG", () => ServerWorld.Body(HugePngHeader(50000, 50000), "image/png"), HttpStatusCode.RequestEntityTooLarge, "50000 x 50000"),
            ("zip bomb", () => Compressed(gzip.ToArray()), HttpStatusCode.UnsupportedMediaType, "Content-Encoding"),
            ("wrong content type", () => ServerWorld.Body(good, "text/plain"), HttpStatusCode.UnsupportedMediaType, "image/png"),
            ("too large", () => ServerWorld.Body(new byte[3 << 20], "image/png"), HttpStatusCode.RequestEntityTooLarge, "bytes"),
            ("empty", () => ServerWorld.Body(Array.Empty<byte>(), "image/png"), HttpStatusCode.BadRequest, "empty"),
            ("not an image", () => ServerWorld.Body(Encoding.ASCII.GetBytes("hello, this is text"), "image/png"), HttpStatusCode.UnprocessableEntity, "not a recognised image"),
        };
        // Bad and good requests together: the good ones are still graded.
        var bad = cases.Select(async c =>
        {
            using var response = await client.PostAsync("/v1/grade", c.Body());
            var text = await response.Content.ReadAsStringAsync();
            return (c, response.StatusCode, text);
        }).ToList();
        var goods = Enumerable.Range(0, 4).Select(async _ =>
        {
            using var response = await client.PostAsync("/v1/grade", ServerWorld.Body(good, "image/png"));
            return response.StatusCode;
        }).ToList();
        foreach (var (c, status, text) in await Task.WhenAll(bad))
        {
            Assert.True(status == c.Status, $"{c.Name}: {status} {text}");
            using var json = JsonDocument.Parse(text);
            Assert.Contains(c.Message, json.RootElement.GetProperty("message").GetString()!, StringComparison.OrdinalIgnoreCase);
            Assert.False(text.Contains(options.TempFolder!, StringComparison.Ordinal), c.Name + ": " + text);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        }
        Assert.All(await Task.WhenAll(goods), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Empty(Directory.GetFiles(options.TempFolder!));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    /// <summary>
    /// libvips keeps one error buffer per process: a text upload followed by (or beside) a truncated PNG used to give
    /// the PNG the text's reason ("(another upload)" is not a known file format). Broken uploads of three kinds, sent
    /// at once, each get the reason their kind gets alone, under their own name.
    /// </summary>
    [Fact]
    public async Task Different_broken_uploads_sent_at_once_each_get_their_own_reason()
    {
        await using var server = await PleuraServer.Start(_world.Options());
        using var client = ServerWorld.Client(server);
        var good = File.ReadAllBytes(_world.Image(3));
        var badCrc = good.ToArray();
        badCrc[29] ^= 0xFF; // the IHDR chunk's CRC
        var kinds = new Dictionary<string, byte[]>
        {
            ["truncated"] = good[..(good.Length / 2)], ["badcrc"] = badCrc, ["text"] = Encoding.ASCII.GetBytes("hello, this is text"),
        };
        async Task<(HttpStatusCode Status, string Message)> Post(string name, byte[] bytes)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/grade") { Content = ServerWorld.Body(bytes, "image/png") };
            request.Headers.Add("X-File-Name", name);
            using var response = await client.SendAsync(request);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return (response.StatusCode, json.RootElement.GetProperty("message").GetString()!.Replace(name, "<name>", StringComparison.Ordinal));
        }
        // Each kind alone, the image kinds before any text upload.
        var alone = new Dictionary<string, string>();
        foreach (var kind in new[] { "truncated", "badcrc", "text" })
        {
            var (status, message) = await Post($"{kind}-alone.png", kinds[kind]);
            Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{kind}: {status} {message}");
            alone[kind] = message;
        }
        Assert.Contains("not a recognised image", alone["text"], StringComparison.Ordinal);
        Assert.NotEqual(alone["truncated"], alone["badcrc"]);
        var sent = Enumerable.Range(0, 30).Select(i => (Kind: kinds.Keys.ElementAt(i % 3), Name: $"upload-{i}.png")).ToList();
        var answers = await Task.WhenAll(sent.Select(async s => (s.Kind, Answer: await Post(s.Name, kinds[s.Kind]))));
        foreach (var (kind, (status, message)) in answers)
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.Equal(alone[kind], message);
        }
    }

    [Fact]
    public async Task A_slow_upload_gets_408_and_too_many_at_once_get_429()
    {
        var options = _world.Options(o => o with { UploadTimeout = TimeSpan.FromSeconds(2), MaxConcurrentRequests = 1 });
        await using var server = await PleuraServer.Start(options);
        var address = new Uri(server.Addresses[0]);
        using var slow = new TcpClient();
        await slow.ConnectAsync(address.Host, address.Port);
        var stream = slow.GetStream();
        var head = $"POST /v1/grade HTTP/1.1\r\nHost: x\r\nX-API-Key: {ServerWorld.Key}\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(File.ReadAllBytes(_world.Image(4)).AsMemory(0, 100));
        await Task.Delay(300);

        // The slow upload holds the one grading slot.
        using var client = ServerWorld.Client(server);
        using var refused = await client.PostAsync("/v1/grade", ServerWorld.Body(File.ReadAllBytes(_world.Image(4)), "image/png"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter is not null);
        Assert.Contains("retry", await refused.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        var reader = new StreamReader(stream, Encoding.ASCII);
        var status = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.StartsWith("HTTP/1.1 408", status, StringComparison.Ordinal);
        // The slot is free again and nothing was left behind.
        using var after = await client.PostAsync("/v1/grade", ServerWorld.Body(File.ReadAllBytes(_world.Image(4)), "image/png"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Empty(Directory.GetFiles(options.TempFolder!));
    }

    [Fact]
    public async Task The_viewer_page_is_served_and_asks_for_a_key()
    {
        await using var server = await PleuraServer.Start(_world.Options());
        using var anonymous = ServerWorld.Client(server, key: null);
        var page = await anonymous.GetStringAsync("/");
        Assert.Contains("API key", page, StringComparison.Ordinal);
        Assert.Contains("/v1/grade", await anonymous.GetStringAsync("/viewer/viewer.js"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/viewer/secret.txt")).StatusCode);
    }

    [Fact]
    public async Task Start_is_refused_without_a_key_or_with_a_run_it_cannot_serve()
    {
        var noKey = await Assert.ThrowsAsync<ArgumentException>(() => PleuraServer.Start(_world.Options(o => o with { ApiKeys = Array.Empty<string>() })));
        Assert.Contains("no API key", noKey.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<FileNotFoundException>(() => PleuraServer.Start(_world.Options(o => o with { Runs = new[] { _world.File("nowhere") } })));
        Assert.Contains("nowhere", missing.Message, StringComparison.Ordinal);
        var (code, output) = CliRunner.RunCaptured("serve", _world.Run, "--port", "0");
        Assert.Equal(2, code);
        Assert.Contains("no API key", output, StringComparison.Ordinal);
    }

    /// <summary>PNG's chunk checksum (CRC-32, polynomial 0xEDB88320).</summary>
    static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public async Task A_lung_roi_run_is_served_with_the_lung_unet_as_predict_scores_it()
    {
        var (lungs, roiRun) = _world.LungRoi();
        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => PleuraServer.Start(_world.Options(o => o with { Runs = new[] { roiRun } })));
        Assert.Contains("--lungs", refused.Message, StringComparison.Ordinal);

        var images = new[] { _world.Image(5), _world.Image(6) };
        var (expected, failures, _) = ImagePrediction.Predict(roiRun, images, lungModel: lungs);
        Assert.Empty(failures);
        await using var server = await PleuraServer.Start(_world.Options(o => o with { Runs = new[] { roiRun }, LungModel = lungs }));
        using var client = ServerWorld.Client(server);
        foreach (var image in images)
        {
            using var response = await client.PostAsync("/v1/grade", ServerWorld.Body(File.ReadAllBytes(image), "image/png"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            foreach (var side in json.RootElement.GetProperty("sides").EnumerateArray())
            {
                var reference = expected.Single(p => p.ImageId == image && p.Side == side.GetProperty("side").GetString());
                Assert.Equal(reference.Probabilities[0], side.GetProperty("probabilities")[0].GetDouble(), 1e-5);
            }
        }
        using var explained = await client.PostAsync("/v1/grade?heatmap=true", ServerWorld.Body(File.ReadAllBytes(images[0]), "image/png"));
        using var body = JsonDocument.Parse(await explained.Content.ReadAsStringAsync());
        double hcs = body.RootElement.GetProperty("heatmap").GetProperty("hcs").GetDouble();
        Assert.InRange(hcs, 0, 1);
        Assert.Equal(0, CliRunner.Run("predict", roiRun, images[0], "--lungs", lungs, "-o", _world.File("roi-pred.csv")));
    }

    [Fact]
    public async Task With_a_view_classifier_a_frontal_image_is_graded_and_a_lateral_like_one_refused_with_its_probability()
    {
        var (viewRun, turned) = _world.View();
        await using var server = await PleuraServer.Start(_world.Options(o => o with { ViewRun = viewRun }));
        using var client = ServerWorld.Client(server);
        using var frontal = await client.PostAsync("/v1/grade", ServerWorld.Body(File.ReadAllBytes(_world.Image(1)), "image/png"));
        var text = await frontal.Content.ReadAsStringAsync();
        Assert.True(frontal.StatusCode == HttpStatusCode.OK, text);
        using (var json = JsonDocument.Parse(text))
            Assert.True(json.RootElement.GetProperty("view").GetProperty("frontal_probability").GetDouble() >= 0.5, text);
        using var lateral = await client.PostAsync("/v1/grade", ServerWorld.Body(File.ReadAllBytes(turned), "image/png"));
        var refusal = await lateral.Content.ReadAsStringAsync();
        Assert.True(lateral.StatusCode == HttpStatusCode.UnprocessableEntity, refusal);
        Assert.Contains("does not look frontal (P(frontal) = 0.", refusal, StringComparison.Ordinal);
        using var models = JsonDocument.Parse(await client.GetStringAsync("/v1/models"));
        Assert.Equal("frontal", models.RootElement.GetProperty("view_check").GetProperty("frontal_class").GetString());
    }

    static HttpContent Compressed(byte[] gzip)
    {
        var content = ServerWorld.Body(gzip, "image/png");
        content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    /// <summary>A PNG that declares width x height pixels and holds almost nothing: a decompression bomb's header.</summary>
    static byte[] HugePngHeader(int width, int height)
    {
        var png = new MemoryStream();
        png.Write(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // 8-bit grey
        Chunk(png, "IHDR", ihdr);
        using (var idat = new MemoryStream())
        {
            using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true)) z.Write(new byte[1 << 16]);
            Chunk(png, "IDAT", idat.ToArray());
        }
        Chunk(png, "IEND", Array.Empty<byte>());
        return png.ToArray();
    }

    static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(crc);
    }
}
