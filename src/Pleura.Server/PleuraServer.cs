using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Pleura.Server;

/// <summary>A route the server answers: its pattern, HTTP method and whether it is open without a key.</summary>
public sealed record ServedRoute(string Pattern, string Method, bool Anonymous);

/// <summary>
/// `pleura serve`: loads the runs once, then serves the grading API, the model cards, health, an OpenAPI document,
/// Prometheus metrics and the web viewer from one ASP.NET Core process.
/// </summary>
public sealed class PleuraServer : IAsyncDisposable
{
    const string GradingLimit = "grading";
    readonly WebApplication _app;
    readonly ModelCatalogue _models;
    readonly string _tempFolder;

    PleuraServer(WebApplication app, ModelCatalogue models, string tempFolder)
    {
        _app = app;
        _models = models;
        _tempFolder = tempFolder;
    }

    /// <summary>The addresses the server listens on (with the real port when 0 was asked for).</summary>
    public IReadOnlyList<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? new List<string>();

    public ModelCatalogue Models => _models;

    /// <summary>Every route the server answers, with whether it is open without a key (health and the viewer's static files).</summary>
    public IReadOnlyList<ServedRoute> Routes =>
        _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? new[] { "GET" })
                .Select(m => new ServedRoute(e.RoutePattern.RawText ?? "", m, e.Metadata.GetMetadata<IAllowAnonymous>() is not null)))
            .ToList();
    public string TempFolder => _tempFolder;

    /// <summary>Loads the models (a run that cannot be loaded stops here with its reason) and starts listening.</summary>
    public static async Task<PleuraServer> Start(ServeOptions options, Action<ILoggingBuilder>? logging = null)
    {
        options.Check();
        // Requests are decoded side by side, one image per thread, as batch reads do.
        Pleura.Imaging.RadiographReader.VipsThreads = 1;
        var models = ModelCatalogue.Load(options);
        var temp = options.TempFolder ?? Path.Combine(Path.GetTempPath(), $"pleura-serve-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        try
        {
            var app = Build(options, models, temp, logging);
            await app.StartAsync().ConfigureAwait(false);
            return new PleuraServer(app, models, temp);
        }
        catch
        {
            models.Dispose();
            // A start that failed (a port in use) leaves no empty temporary folder of its own behind.
            if (options.TempFolder is null)
                try { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); }
                catch (IOException) { }
            throw;
        }
    }

    public Task WaitForShutdown(CancellationToken cancel) => _app.WaitForShutdownAsync(cancel);

    static WebApplication Build(ServeOptions options, ModelCatalogue models, string temp, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Parse(options.Host), options.Port);
            // The upload limit is enforced (with a JSON answer) while the body is read; Kestrel's own is a backstop.
            k.Limits.MaxRequestBodySize = options.MaxUploadBytes + (1 << 20);
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
            k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(5));
        });
        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        else if (options.JsonLogs) builder.Logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Data protection keys are not used (no cookies); its warning about unencrypted keys would only confuse.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.Logging.AddFilter("Pleura.Server.ApiKeyAuthentication", LogLevel.Warning);
        // A host that fails to start (a port in use) logs the exception with its stack trace; the command reports
        // the same failure in one line, so the host's own record of it is left out.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);

        var services = builder.Services;
        services.AddSingleton(models);
        services.AddSingleton(new ApiKeys(options.ApiKeys));
        services.AddSingleton(new GradeQueue(models, options.MaxBatch, options.BatchWindow));
        services.AddSingleton(new Uploads(temp, options.MaxUploadBytes, options.MaxPixels, options.UploadTimeout));
        services.AddSingleton<GradeEndpoint>();
        services.AddSingleton(options);
        services.AddSingleton<StudyEndpoint>();
        services.AddAuthentication(ApiKeyAuthentication.SchemeName).AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddConcurrencyLimiter(GradingLimit, c => { c.PermitLimit = options.MaxConcurrentRequests; c.QueueLimit = 0; });
            o.OnRejected = async (context, cancel) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                await context.HttpContext.Response.WriteAsJsonAsync(new { error = "too_many_requests",
                    message = $"{options.MaxConcurrentRequests} requests are being graded; retry shortly" }, cancel).ConfigureAwait(false);
            };
        });
        services.AddOpenApi();
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(Telemetry.MeterName).AddAspNetCoreInstrumentation().AddRuntimeInstrumentation().AddPrometheusExporter());

        var app = builder.Build();
        app.Use(Problems.Middleware);
        app.UseStatusCodePages(Problems.EmptyAnswer);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapGet("/health", () => Results.Json(new { status = "ok" })).AllowAnonymous();
        app.MapGet("/health/ready", (GradeQueue queue) => queue.Running
            ? Results.Json(new { status = "ready", runs = models.Runs.Select(r => r.Name) })
            : Results.Json(new { status = "not ready", reason = "the grading worker has stopped" }, statusCode: 503)).AllowAnonymous();
        app.MapGet("/v1/models", () => Results.Json(models.Describe()));
        app.MapPost("/v1/grade", (HttpContext context, GradeEndpoint endpoint, string? run, bool? heatmap) => endpoint.Handle(context, run, heatmap))
            .RequireRateLimiting(GradingLimit).DisableAntiforgery()
            .Accepts<IFormFile>("multipart/form-data", "image/png", "image/jpeg", "image/tiff", "application/dicom", "application/octet-stream");
        app.MapPost("/v1/studies/{uid}", (HttpContext context, StudyEndpoint endpoint, string uid, string? run, bool? overlay) => endpoint.Handle(context, uid, run, overlay))
            .RequireRateLimiting(GradingLimit);
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapPrometheusScrapingEndpoint("/metrics");
        ViewerFiles.Map(app);
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            app.Services.GetRequiredService<GradeQueue>().DisposeAsync().AsTask().GetAwaiter().GetResult();
            try { Directory.Delete(temp, recursive: true); }
            catch (IOException) { }
        });
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _models.Dispose();
    }
}
