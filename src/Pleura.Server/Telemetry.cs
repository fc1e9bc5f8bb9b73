namespace Pleura.Server;

/// <summary>Names under which the server's metrics and traces are published (OpenTelemetry; Prometheus at /metrics).</summary>
public static class Telemetry
{
    public const string MeterName = "Pleura.Server";
}
