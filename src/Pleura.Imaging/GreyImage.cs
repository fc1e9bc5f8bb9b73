namespace Pleura.Imaging;

/// <summary>
/// A single-channel image with intensities scaled to [0, 1] (0 = black), row-major.
/// The pixel buffer is owned by the image; callers treat it as read-only unless they made the image themselves.
/// </summary>
public sealed class GreyImage
{
    public GreyImage(int width, int height, float[] pixels, int sourceBitDepth = 8)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size must be positive, got {width}x{height}");
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != (long)width * height)
            throw new ArgumentException($"expected {width * height} pixels for {width}x{height}, got {pixels.Length}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
        SourceBitDepth = sourceBitDepth;
    }

    public int Width { get; }
    public int Height { get; }
    public float[] Pixels { get; }

    /// <summary>Bits per sample of the file the image came from (8 or 16), so a writer can keep the precision.</summary>
    public int SourceBitDepth { get; }

    public float this[int x, int y] => Pixels[y * Width + x];

    /// <summary>Mean intensity, a cheap global statistic (used e.g. by baselines that must fail on phantoms).</summary>
    public double Mean()
    {
        double sum = 0;
        foreach (var p in Pixels) sum += p;
        return sum / Pixels.Length;
    }

    /// <summary>Quantises to 8 bits, rounding to nearest.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Pixels.Length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)Math.Clamp(MathF.Round(Pixels[i] * 255f), 0f, 255f);
        return bytes;
    }

    /// <summary>Quantises to 16 bits, rounding to nearest.</summary>
    public ushort[] ToUInt16()
    {
        var values = new ushort[Pixels.Length];
        for (int i = 0; i < values.Length; i++) values[i] = (ushort)Math.Clamp(MathF.Round(Pixels[i] * 65535f), 0f, 65535f);
        return values;
    }

    public static GreyImage FromBytes(int width, int height, ReadOnlySpan<byte> bytes)
    {
        var pixels = new float[bytes.Length];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = bytes[i] / 255f;
        return new GreyImage(width, height, pixels, 8);
    }
}
