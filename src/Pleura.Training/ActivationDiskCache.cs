using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace Pleura.Training;

/// <summary>
/// Frozen-prefix activations in a folder that processes and cluster tasks share: one file per row, written once and
/// read memory-mapped. A row's file is named by a hash of its scope (the prefix's weight fingerprint, input channels and
/// size) and key (image, ROI, side, augmentation), under a folder per scope.
///
/// File format (version 1, little-endian): the 8 bytes <c>PLEURAAC</c>; int32 version; int32 dtype (TorchSharp's
/// ScalarType); int32 rank and rank x int64 shape; int32 length and the UTF-8 text "scope|key"; int64 payload length;
/// 32 bytes SHA-256 of the payload; the payload (the row's elements, C order). A row is written to a temporary file and
/// renamed into place, so a reader sees a whole file or none; a file whose header does not name the asked scope and
/// key, or whose payload does not match its checksum (cut short, damaged), is never used: the row is computed again and
/// the file replaced.
/// </summary>
public sealed class ActivationDiskCache
{
    static readonly byte[] Magic = "PLEURAAC"u8.ToArray();
    const int Version = 1;
    long _reads, _writes, _rejected;

    public ActivationDiskCache(string folder)
    {
        Folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }
    /// <summary>Rows this process read from the folder, wrote to it, and found unusable there.</summary>
    public long Reads => Interlocked.Read(ref _reads);
    public long Writes => Interlocked.Read(ref _writes);
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Bytes of rows in the folder (every process's).</summary>
    public long Size() => Directory.EnumerateFiles(Folder, "*.row", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    public string PathOf(string scope, string key)
    {
        var scopeName = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(scope)))[..24].ToLowerInvariant();
        var keyName = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(scope + "|" + key)))[..40].ToLowerInvariant();
        return Path.Combine(Folder, scopeName, keyName[..2], keyName + ".row");
    }

    /// <summary>The row, or null when the folder has no usable file for it.</summary>
    public Tensor? TryRead(string scope, string key)
    {
        string path = PathOf(scope, key);
        if (!File.Exists(path)) return null;
        try
        {
            var row = Read(path, scope + "|" + key);
            if (row is null) Interlocked.Increment(ref _rejected);
            else Interlocked.Increment(ref _reads);
            return row;
        }
        catch (IOException)
        {
            return null;   // removed or replaced by another process between the check and the read
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    static Tensor? Read(string path, string identity)
    {
        long length = new FileInfo(path).Length;
        if (length < Magic.Length + 12) return null;
        using var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        long at = 0;
        byte[] Bytes(long count)
        {
            if (count < 0 || at + count > length) throw new InvalidDataException("truncated");
            var buffer = new byte[count];
            view.ReadArray(at, buffer, 0, buffer.Length);
            at += count;
            return buffer;
        }
        int Int() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));
        long Long() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));
        try
        {
            if (!Bytes(Magic.Length).AsSpan().SequenceEqual(Magic) || Int() != Version) return null;
            var dtype = (ScalarType)Int();
            int rank = Int();
            if (rank is < 0 or > 8) return null;
            var shape = Enumerable.Range(0, rank).Select(_ => Long()).ToArray();
            if (Encoding.UTF8.GetString(Bytes(Int())) != identity) return null;
            long payloadLength = Long();
            var checksum = Bytes(32);
            if (at + payloadLength != length) return null;
            var payload = Bytes(payloadLength);
            if (!SHA256.HashData(payload).AsSpan().SequenceEqual(checksum)) return null;
            var row = empty(shape, dtype);
            if (row.NumberOfElements * row.ElementSize != payloadLength)
            {
                row.Dispose();
                return null;
            }
            row.bytes = payload;
            return row;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Writes the row unless a whole file for it is there already (another process was first).</summary>
    public void Write(string scope, string key, Tensor row)
    {
        string path = PathOf(scope, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var cpu = row.detach().cpu().contiguous();
        var payload = cpu.bytes.ToArray();
        var header = new MemoryStream();
        void Int(int v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); header.Write(b); }
        void Long(long v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, v); header.Write(b); }
        header.Write(Magic);
        Int(Version);
        Int((int)cpu.dtype);
        Int((int)cpu.shape.Length);
        foreach (var d in cpu.shape) Long(d);
        var identity = Encoding.UTF8.GetBytes(scope + "|" + key);
        Int(identity.Length);
        header.Write(identity);
        Long(payload.Length);
        header.Write(SHA256.HashData(payload));

        string temp = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                header.Position = 0;
                header.CopyTo(file);
                file.Write(payload);
            }
            // Replaces a damaged file; a whole one written meanwhile by another process holds the same row.
            File.Move(temp, path, overwrite: true);
            Interlocked.Increment(ref _writes);
        }
        catch (IOException)
        {
            // A full disk or a folder gone: the cache is an optimisation, training goes on without the file.
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
