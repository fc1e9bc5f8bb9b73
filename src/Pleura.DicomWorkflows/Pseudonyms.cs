using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Pleura.DicomWorkflows;

/// <summary>
/// Keyed pseudonyms for the identifiers an ingest would otherwise write: HMAC-SHA256 under a secret 32-byte key of the
/// kind of identifier and its value. The same key gives the same pseudonyms in every run (so a second run, or a later
/// export, links to the first); without the key a pseudonym cannot be traced back nor recomputed from a guessed id.
/// The key file holds the key as 64 hex digits and is kept apart from the outputs.
/// </summary>
public sealed class Pseudonyms
{
    public const int KeyBytes = 32;
    readonly byte[] key;

    public Pseudonyms(byte[] key)
    {
        if (key.Length != KeyBytes) throw new ArgumentException($"a pseudonym key has {KeyBytes} bytes, not {key.Length}", nameof(key));
        this.key = key.ToArray();
    }

    /// <summary>An identifier for the key itself (the HMAC of a fixed text), safe to write beside the outputs: which key made a folder.</summary>
    public string KeyId => Hex("key-id", "pleura", 12);

    /// <summary>A patient pseudonym: "P" and 16 hex digits.</summary>
    public string Patient(string id) => "P" + Hex("patient", id, 16);

    /// <summary>An accession pseudonym: "A" and 16 hex digits.</summary>
    public string Accession(string accession) => "A" + Hex("accession", accession, 16);

    /// <summary>A source path pseudonym: "S" and 16 hex digits.</summary>
    public string Source(string relativePath) => "S" + Hex("source", relativePath, 16);

    /// <summary>A UID pseudonym that is itself a valid UID: "2.25." and 128 bits of the HMAC as a decimal number (PS3.5 B.2).</summary>
    public string Uid(string uid)
    {
        var mac = Mac("uid", uid);
        var value = new BigInteger(mac.AsSpan(0, 16), isUnsigned: true, isBigEndian: true);
        return "2.25." + value.ToString(CultureInfo.InvariantCulture);
    }

    byte[] Mac(string kind, string value) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(kind + "\0" + value));

    string Hex(string kind, string value, int digits) => Convert.ToHexString(Mac(kind, value))[..digits];

    /// <summary>The key at <paramref name="path"/>; an error names the file and the reason.</summary>
    public static Pseudonyms Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: pseudonym key file not found", path);
        var text = File.ReadAllText(path).Trim();
        byte[] bytes;
        try { bytes = Convert.FromHexString(text); }
        catch (FormatException) { throw new InvalidDataException($"{path}: not a pseudonym key (expected {2 * KeyBytes} hex digits)"); }
        if (bytes.Length != KeyBytes) throw new InvalidDataException($"{path}: not a pseudonym key ({bytes.Length} bytes, expected {KeyBytes})");
        return new Pseudonyms(bytes);
    }

    /// <summary>A new key of 32 random bytes, held in memory until <see cref="Save"/> writes it.</summary>
    public static Pseudonyms New() => new(RandomNumberGenerator.GetBytes(KeyBytes));

    /// <summary>Writes this key to <paramref name="path"/> (readable by its owner only), refusing to overwrite a file there.</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream, Encoding.ASCII);
        writer.Write(Convert.ToHexString(key).ToLowerInvariant() + "\n");
    }

    /// <summary>Where an ingest into <paramref name="outputFolder"/> keeps its key by default: beside the folder, named after it.</summary>
    public static string DefaultKeyPath(string outputFolder)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputFolder));
        return Path.Combine(Path.GetDirectoryName(full) ?? full, Path.GetFileName(full) + ".key");
    }

    /// <summary>
    /// The key for an ingest: <paramref name="keyFile"/> (which must exist), else <paramref name="keyOut"/> or
    /// <see cref="DefaultKeyPath"/>, read when it exists and made otherwise. A key inside the output folder is refused.
    /// A new key is only made in memory (Created): the ingest saves it once it has written its outputs, so a refused
    /// or failed ingest leaves no key behind.
    /// </summary>
    public static (Pseudonyms Key, string Path, bool Created) ForIngest(string outputFolder, string? keyFile, string? keyOut)
    {
        var path = Path.GetFullPath(keyFile ?? keyOut ?? DefaultKeyPath(outputFolder));
        var output = Path.GetFullPath(outputFolder);
        var relative = Path.GetRelativePath(output, path);
        if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
            throw new ArgumentException($"the pseudonym key {path} would lie inside the output folder {output}; keep it apart (--key-out elsewhere)");
        if (keyFile is not null || File.Exists(path)) return (Read(path), path, false);
        return (New(), path, true);
    }
}
