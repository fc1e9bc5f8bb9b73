using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pleura.Server;

/// <summary>
/// Turns every failure into a JSON answer with the right status (the message says what to change), so a bad request
/// never surfaces as a stack trace or a dropped connection, and the process keeps serving.
/// </summary>
public static partial class Problems
{
    public static async Task Middleware(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (RequestRefusedException e)
        {
            await Answer(context, e.Status, Code(e.Status), e.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own limits: a body over the size limit (413), too slow an upload (408), a malformed request.
            await Answer(context, e.StatusCode, Code(e.StatusCode), e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
#pragma warning disable CA1031 // one failing request must not take the server down; it is logged with its trace id
        catch (Exception e)
#pragma warning restore CA1031
        {
            Failed(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Pleura.Server"), e, context.Request.Path);
            await Answer(context, 500, "internal_error", $"the server could not answer ({e.GetType().Name}: {e.Message}); trace id {context.TraceIdentifier}").ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "request {Path} failed")]
    static partial void Failed(ILogger logger, Exception exception, string path);

    /// <summary>Answers the framework leaves empty (an unknown route, a wrong method, a content type routing refuses) get a JSON body too.</summary>
    public static Task EmptyAnswer(Microsoft.AspNetCore.Diagnostics.StatusCodeContext context)
    {
        var http = context.HttpContext;
        int status = http.Response.StatusCode;
        string message = status switch
        {
            404 => $"no route {http.Request.Method} {http.Request.Path}; see /openapi/v1.json",
            405 => $"{http.Request.Method} is not allowed on {http.Request.Path}",
            415 => "send the image as image/png, image/jpeg, image/tiff, application/dicom, application/octet-stream or multipart/form-data",
            _ => $"HTTP {status}",
        };
        return http.Response.WriteAsJsonAsync(new { error = Code(status), message });
    }

    static string Code(int status) => status switch
    {
        400 => "bad_request",
        401 => "unauthorized",
        404 => "not_found",
        408 => "request_timeout",
        413 => "too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable_image",
        429 => "too_many_requests",
        _ => "error",
    };

    static async Task Answer(HttpContext context, int status, string code, string message)
    {
        if (context.Response.HasStarted) return;
        context.Response.Clear();
        context.Response.StatusCode = status;
        // The rest of an unread body is not drained: the connection is closed after a refused upload.
        if (status is 408 or 413) context.Response.Headers.Connection = "close";
        await context.Response.WriteAsJsonAsync(new { error = code, message }).ConfigureAwait(false);
    }
}
