using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Pleura.Testing;

/// <summary>What the fixtures that start real servers (Orthanc, PostgreSQL, Slurm) need: a free port and a tool's output.</summary>
public static class TestProcesses
{
    /// <summary>A port nothing listens on now (the OS picks it); the server binds it right after.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Runs a program to its end: exit code and standard output followed by standard error.</summary>
    public static (int Code, string Output) Run(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }
}
