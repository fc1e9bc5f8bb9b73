using Pleura.Benchmarks;
using Pleura.Tests.Cli;
using Pleura.Tests.Server;

namespace Pleura.Tests.Benchmarks;

[Collection("console")]
public sealed class ServeBenchmarkTests(ServerWorld world) : IClassFixture<ServerWorld>
{
    [Fact]
    public void Wrk_summary_is_read_with_its_units_and_errors()
    {
        const string output = """
            Running 5s test @ http://127.0.0.1:40000
              2 threads and 4 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency    34.12ms    5.01ms  61.20ms   80.00%
              Latency Distribution
                 50%   33.50ms
                 75%   36.00ms
                 90%   40.00ms
                 99%    1.02s
              574 requests in 5.01s, 200.00KB read
              Socket errors: connect 0, read 1, write 0, timeout 2
              Non-2xx or 3xx responses: 3
            Requests/sec:    114.57
            """;
        var (requests, errors, seconds, p50, p99) = ServeBenchmark.ParseWrk(output);
        Assert.Equal(574, requests);
        Assert.Equal(6, errors);
        Assert.Equal(5.01, seconds, 1e-9);
        Assert.Equal(33.5, p50, 1e-9);
        Assert.Equal(1020, p99, 1e-9);
        Assert.Throws<InvalidDataException>(() => ServeBenchmark.ParseWrk("wrk: connection refused"));
    }

    [Fact]
    public void Bench_serve_drives_the_server_and_reports_every_level()
    {
        var csv = world.File("bench-serve.csv");
        var (code, output) = CliRunner.RunCaptured("bench", "serve", world.Run, "--images", world.File("ph/images"), "--clients", "1", "2",
            "--seconds", "1", "--no-wrk", "--csv", csv);
        Assert.True(code == 0, output);
        var rows = File.ReadAllLines(csv);
        Assert.Equal(3, rows.Length);
        Assert.All(rows.Skip(1), row =>
        {
            var fields = row.Split(',');
            Assert.Equal("HttpClient", fields[1]);
            Assert.True(long.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture) > 0, row);
            Assert.Equal("0", fields[4]);
        });
    }
}
