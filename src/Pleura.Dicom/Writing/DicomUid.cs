using System.Numerics;

namespace Pleura.Dicom.Writing;

/// <summary>New UIDs under the 2.25 root (PS3.5 B.2): the UUID read as one unsigned integer, so no registered root is needed.</summary>
public static class DicomUid
{
    public static string New() => FromGuid(Guid.NewGuid());

    /// <summary>The 2.25 UID of a UUID (at most 2.25. + 39 digits, within the 64-character limit).</summary>
    public static string FromGuid(Guid guid) =>
        "2.25." + new BigInteger(guid.ToByteArray(bigEndian: true), isUnsigned: true, isBigEndian: true).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A UID that is the same for the same name (a version-5-like hash), for reproducible phantom studies.</summary>
    public static string FromName(string name)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name));
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50); // version 5 (name-based)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return FromGuid(new Guid(bytes, bigEndian: true));
    }
}
