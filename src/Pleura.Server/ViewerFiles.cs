using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Pleura.Server;

/// <summary>
/// The web viewer: a static page, script and style embedded in this assembly. They hold no data and are served
/// without a key; the page asks for the key and sends it with every API call.
/// </summary>
public static class ViewerFiles
{
    static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["viewer.js"] = "text/javascript; charset=utf-8",
        ["viewer.css"] = "text/css; charset=utf-8",
    };

    public static void Map(WebApplication app)
    {
        app.MapGet("/", () => File("index.html")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/viewer/{name}", (string name) => File(name)).AllowAnonymous().ExcludeFromDescription();
    }

    static IResult File(string name)
    {
        if (!Types.TryGetValue(name, out var type)) return Results.NotFound();
        var stream = typeof(ViewerFiles).Assembly.GetManifestResourceStream("viewer/" + name);
        return stream is null ? Results.NotFound() : Results.Stream(stream, type);
    }
}
