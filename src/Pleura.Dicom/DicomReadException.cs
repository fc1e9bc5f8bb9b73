namespace Pleura.Dicom;

/// <summary>
/// The one error a caller of this library has to handle: the file is truncated, corrupt, or uses something this reader
/// does not decode. The message names the file and the reason in plain words, so an ingest can list it and go on.
/// </summary>
public sealed class DicomReadException : Exception
{
    public DicomReadException(string path, string reason, Exception? inner = null)
        : base($"{path}: {reason}", inner)
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The file that could not be read ("" when the bytes came from memory).</summary>
    public string Path { get; }

    /// <summary>Why, without the path.</summary>
    public string Reason { get; }
}
