namespace Pleura.DicomWeb;

/// <summary>Why a DICOMweb call failed: nothing answered, the answer was too slow, or the server refused.</summary>
public enum DicomWebFailure { Unreachable, Timeout, Refused, BadResponse }

/// <summary>A DICOMweb call that failed, with a message that names the server, the request and the reason.</summary>
public sealed class DicomWebException : Exception
{
    public DicomWebException(DicomWebFailure failure, string message, int? statusCode = null, Exception? inner = null) : base(message, inner)
    {
        Failure = failure;
        StatusCode = statusCode;
    }

    public DicomWebException() : this(DicomWebFailure.BadResponse, "DICOMweb call failed") { }
    public DicomWebException(string message) : this(DicomWebFailure.BadResponse, message) { }
    public DicomWebException(string message, Exception inner) : this(DicomWebFailure.BadResponse, message, null, inner) { }

    public DicomWebFailure Failure { get; }

    /// <summary>The HTTP status the server answered with, when it answered.</summary>
    public int? StatusCode { get; }
}
