using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Pleura.Imaging;

namespace Pleura.Server;

/// <summary>An uploaded image as a temporary file (deleted when disposed) and the name the client gave it.</summary>
public sealed class UploadedImage : IDisposable
{
    public UploadedImage(string path, string name)
    {
        Path = path;
        Name = name;
    }

    public string Path { get; }
    public string Name { get; }

    public void Dispose()
    {
        try { File.Delete(Path); }
        catch (IOException) { }
    }
}

/// <summary>
/// Reads a request's image into a temporary file within the server's limits: the body's size (413), the time the
/// upload may take (408), the content type (415: PNG, JPEG, TIFF, DICOM or octet-stream, raw or as the first file of
/// a multipart form), compressed bodies (415: a gzip body is a decompression bomb waiting to happen), and the image's
/// declared pixel count (413, read from the header before anything is decoded).
/// </summary>
public sealed class Uploads
{
    static readonly string[] ImageTypes = { "image/png", "image/jpeg", "image/tiff", "application/dicom", "application/octet-stream" };

    readonly string _folder;
    readonly long _maxBytes;
    readonly long _maxPixels;
    readonly TimeSpan _timeout;

    public Uploads(string folder, long maxBytes, long maxPixels, TimeSpan timeout)
    {
        _folder = folder;
        _maxBytes = maxBytes;
        _maxPixels = maxPixels;
        _timeout = timeout;
        Directory.CreateDirectory(folder);
    }

    public string Folder => _folder;

    public async Task<UploadedImage> Read(HttpRequest request, CancellationToken cancel)
    {
        if (request.Headers.ContentEncoding.Count > 0 && !request.Headers.ContentEncoding.All(e => string.Equals(e, "identity", StringComparison.OrdinalIgnoreCase)))
            throw new RequestRefusedException(StatusCodes.Status415UnsupportedMediaType, $"compressed request bodies (Content-Encoding: {request.Headers.ContentEncoding}) are not accepted; send the image file as it is");
        if (request.ContentLength > _maxBytes)
            throw new RequestRefusedException(StatusCodes.Status413PayloadTooLarge, $"the body is {request.ContentLength} bytes; this server takes at most {_maxBytes}");
        if (string.IsNullOrEmpty(request.ContentType))
            throw new RequestRefusedException(StatusCodes.Status415UnsupportedMediaType, "no Content-Type: send image/png, image/jpeg, image/tiff, application/dicom or multipart/form-data with a file");
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type))
            throw new RequestRefusedException(StatusCodes.Status415UnsupportedMediaType, $"Content-Type '{request.ContentType}' cannot be parsed");

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(_timeout);
        var path = System.IO.Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".upload");
        try
        {
            string name;
            if (type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
                name = await CopyFirstFile(request, type, path, deadline.Token).ConfigureAwait(false);
            else if (ImageTypes.Contains(type.MediaType.Value, StringComparer.OrdinalIgnoreCase))
            {
                await Copy(request.Body, path, deadline.Token).ConfigureAwait(false);
                name = request.Headers["X-File-Name"].FirstOrDefault() ?? "upload";
            }
            else
                throw new RequestRefusedException(StatusCodes.Status415UnsupportedMediaType, $"Content-Type '{type.MediaType}' is not an image: send image/png, image/jpeg, image/tiff, application/dicom or multipart/form-data");
            try { CheckPixels(path); }
            catch (ImageReadException e) { throw Unreadable(e, path, name); }
            return new UploadedImage(path, name);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            Delete(path);
            throw new RequestRefusedException(StatusCodes.Status408RequestTimeout, $"the upload did not arrive within {_timeout.TotalSeconds:0} s");
        }
        catch
        {
            Delete(path);
            throw;
        }
    }

    /// <summary>
    /// An unreadable upload, in the caller's words: its own name, never the server's temporary paths (decodes report
    /// their own libvips errors, see VipsCalls; the pattern is a last guard that no temporary path leaves the server).
    /// </summary>
    public RequestRefusedException Unreadable(ImageReadException e, string path, string name)
    {
        var reason = e.Reason.Replace(path, name, StringComparison.Ordinal);
        reason = System.Text.RegularExpressions.Regex.Replace(reason, System.Text.RegularExpressions.Regex.Escape(_folder) + @"[/\\][0-9a-f]{32}\.upload", "(another upload)");
        return new RequestRefusedException(StatusCodes.Status422UnprocessableEntity, $"{name}: {reason}");
    }

    void CheckPixels(string path)
    {
        var (width, height) = RadiographReader.Dimensions(path);
        if ((long)width * height > _maxPixels)
            throw new RequestRefusedException(StatusCodes.Status413PayloadTooLarge, $"the image declares {width} x {height} pixels; this server decodes at most {_maxPixels / 1_000_000.0:0.#} megapixels");
    }

    async Task<string> CopyFirstFile(HttpRequest request, MediaTypeHeaderValue type, string path, CancellationToken cancel)
    {
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) throw new RequestRefusedException(StatusCodes.Status400BadRequest, "multipart/form-data without a boundary");
        var reader = new MultipartReader(boundary, request.Body);
        MultipartSection? section;
        while ((section = await reader.ReadNextSectionAsync(cancel).ConfigureAwait(false)) is not null)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition()) continue;
            await Copy(section.Body, path, cancel).ConfigureAwait(false);
            return disposition.FileName.Value ?? disposition.FileNameStar.Value ?? "upload";
        }
        throw new RequestRefusedException(StatusCodes.Status400BadRequest, "the multipart form has no file part");
    }

    async Task Copy(Stream body, string path, CancellationToken cancel)
    {
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
        var buffer = new byte[81920];
        long total = 0;
        int n;
        while ((n = await body.ReadAsync(buffer, cancel).ConfigureAwait(false)) > 0)
        {
            total += n;
            if (total > _maxBytes) throw new RequestRefusedException(StatusCodes.Status413PayloadTooLarge, $"the body is over {_maxBytes} bytes, the most this server takes");
            await file.WriteAsync(buffer.AsMemory(0, n), cancel).ConfigureAwait(false);
        }
        if (total == 0) throw new RequestRefusedException(StatusCodes.Status400BadRequest, "the request has no image (empty body)");
    }

    static void Delete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
    }
}
