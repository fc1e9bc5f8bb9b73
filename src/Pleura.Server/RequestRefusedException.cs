namespace Pleura.Server;

/// <summary>A request the server refuses, with the HTTP status and a message for the caller (sent as JSON).</summary>
public sealed class RequestRefusedException : Exception
{
    public RequestRefusedException(int status, string message) : base(message) => Status = status;

    public RequestRefusedException() { }
    public RequestRefusedException(string message) : base(message) { }
    public RequestRefusedException(string message, Exception inner) : base(message, inner) { }

    public int Status { get; } = 400;
}
