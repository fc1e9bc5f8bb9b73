using System.Net.Http.Headers;
using System.Text;

namespace Pleura.DicomWeb;

/// <summary>One body part of a multipart message: its headers (names lower-cased) and its bytes.</summary>
public sealed record MultipartPart(IReadOnlyDictionary<string, string> Headers, ReadOnlyMemory<byte> Body)
{
    public string? ContentType => Headers.GetValueOrDefault("content-type");
}

/// <summary>
/// multipart/related (RFC 2387 over RFC 2046 section 5.1) as WADO-RS answers and STOW-RS takes it. The reader works
/// on the whole buffered body: a part's body runs from the blank line after its headers to the CRLF before the next
/// delimiter line; a body without the closing delimiter is refused as truncated.
/// </summary>
public static class MultipartRelated
{
    public const string DicomType = "application/dicom";

    /// <summary>The boundary parameter of a multipart content type.</summary>
    public static string Boundary(string contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType is not { } type || !type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"expected a multipart content type, got '{contentType}'");
        var boundary = media.Parameters.FirstOrDefault(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"');
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70) throw new FormatException($"the content type '{contentType}' has no valid boundary");
        return boundary;
    }

    public static IReadOnlyList<MultipartPart> Read(ReadOnlyMemory<byte> body, string contentType)
    {
        var delimiter = Encoding.ASCII.GetBytes("--" + Boundary(contentType));
        var span = body.Span;
        var parts = new List<MultipartPart>();

        // The first delimiter starts the body or follows a CRLF (anything before it is preamble, ignored).
        int at = span.StartsWith(delimiter) ? 0 : IndexOf(span, [.. "\r\n"u8, .. delimiter], 0) is var p and >= 0 ? p + 2 : -1;
        if (at < 0) throw new FormatException("the multipart body has no delimiter line");
        var next = (byte[])[.. "\r\n"u8, .. delimiter];
        while (true)
        {
            int after = at + delimiter.Length;
            if (span.Length >= after + 2 && span[after] == '-' && span[after + 1] == '-') return parts; // the close delimiter
            int lineEnd = IndexOf(span, "\r\n"u8, after);
            if (lineEnd < 0) throw new FormatException("the multipart body ends inside a delimiter line (truncated)");
            if (span[after..lineEnd].Trim(" \t"u8).Length > 0) throw new FormatException("unexpected text after a multipart delimiter");

            int headersStart = lineEnd + 2;
            int headersEnd = span[headersStart..].StartsWith("\r\n"u8) ? headersStart : IndexOf(span, "\r\n\r\n"u8, headersStart) is var h and >= 0 ? h + 2 : -1;
            if (headersEnd < 0) throw new FormatException($"part {parts.Count + 1} of the multipart body has no end of headers (truncated)");
            var headers = ParseHeaders(Encoding.Latin1.GetString(span[headersStart..headersEnd]));
            int bodyStart = headersEnd + 2;
            int bodyEnd = IndexOf(span, next, bodyStart);
            if (bodyEnd < 0) throw new FormatException($"part {parts.Count + 1} of the multipart body is not closed by a delimiter (truncated)");
            parts.Add(new MultipartPart(headers, body[bodyStart..bodyEnd]));
            at = bodyEnd + 2;
        }
    }

    /// <summary>A multipart/related body of DICOM instances for STOW-RS.</summary>
    public static MultipartContent Write(IEnumerable<byte[]> instances)
    {
        var content = new MultipartContent("related", "pleura-" + Guid.NewGuid().ToString("N"));
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", $"\"{DicomType}\""));
        foreach (var instance in instances)
        {
            var part = new ByteArrayContent(instance);
            part.Headers.ContentType = new MediaTypeHeaderValue(DicomType);
            content.Add(part);
        }
        return content;
    }

    static Dictionary<string, string> ParseHeaders(string text)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw new FormatException($"malformed part header '{line}'");
            headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }
        return headers;
    }

    static int IndexOf(ReadOnlySpan<byte> span, ReadOnlySpan<byte> value, int from)
    {
        if (from > span.Length) return -1;
        int i = span[from..].IndexOf(value);
        return i < 0 ? -1 : from + i;
    }
}
