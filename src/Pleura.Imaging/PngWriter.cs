using NetVips;

namespace Pleura.Imaging;

/// <summary>Writes grey images and binary masks as PNG (8- or 16-bit).</summary>
public static class PngWriter
{
    public static void Write(GreyImage image, string path, int bitDepth = 8)
    {
        if (bitDepth is not (8 or 16)) throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "PNG bit depth must be 8 or 16");
        if (bitDepth == 8) WriteGrey8(path, image.ToBytes(), image.Width, image.Height);
        else WriteGrey16(path, image.ToUInt16(), image.Width, image.Height);
    }

    public static void WriteGrey8(string path, byte[] pixels, int width, int height)
    {
        CheckSize(pixels.Length, width, height);
        EnsureFolder(path);
        using var image = Image.NewFromMemory(pixels, width, height, 1, Enums.BandFormat.Uchar);
        image.Pngsave(path, compression: 6);
    }

    public static void WriteGrey16(string path, ushort[] pixels, int width, int height)
    {
        CheckSize(pixels.Length, width, height);
        EnsureFolder(path);
        using var raw = Image.NewFromMemory(pixels, width, height, 1, Enums.BandFormat.Ushort);
        using var image = raw.Copy(interpretation: Enums.Interpretation.Grey16);
        image.Pngsave(path, compression: 6, bitdepth: 16);
    }

    /// <summary>Writes a mask as 0/255, the convention of the SCR and COVID-19 collection masks.</summary>
    public static void WriteMask(string path, bool[] mask, int width, int height)
    {
        var bytes = new byte[mask.Length];
        for (int i = 0; i < mask.Length; i++) bytes[i] = mask[i] ? (byte)255 : (byte)0;
        WriteGrey8(path, bytes, width, height);
    }

    static void CheckSize(int length, int width, int height)
    {
        if (length != (long)width * height) throw new ArgumentException($"expected {width * height} pixels for {width}x{height}, got {length}");
    }

    static void EnsureFolder(string path)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
    }
}
