using System.Security.Cryptography;

namespace Pleura.Testing;

/// <summary>Every file under a folder with its content hash: taken before and after a command that must change nothing.</summary>
public static class FolderSnapshot
{
    public static SortedDictionary<string, string> Of(string folder) => new(
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))),
        StringComparer.Ordinal);
}
