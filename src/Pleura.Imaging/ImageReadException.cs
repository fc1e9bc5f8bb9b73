namespace Pleura.Imaging;

/// <summary>An image that could not be read, with the file and a reason a person can act on.</summary>
public sealed class ImageReadException : IOException
{
    public ImageReadException(string path, string reason, Exception? inner = null)
        : base($"{path}: {reason}", inner)
    {
        Path = path;
        Reason = reason;
    }

    public string Path { get; }
    public string Reason { get; }
}
