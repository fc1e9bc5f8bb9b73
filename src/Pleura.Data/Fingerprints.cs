using System.Security.Cryptography;
using System.Text;

namespace Pleura.Data;

/// <summary>
/// Short content hashes that checkpoints, runs and study trials record, so that a changed split, data set or start is
/// noticed. 24 hex digits (96 bits): unique in practice, short enough to read in a log.
/// </summary>
public static class Fingerprints
{
    public static string OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Short(SHA256.HashData(stream));
    }

    public static string OfText(string text) => Short(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    static string Short(byte[] hash) => Convert.ToHexString(hash)[..24].ToLowerInvariant();
}
