using NetVips;

namespace Pleura.Explainability;

/// <summary>
/// Draws a heatmap over a radiograph for a reader: the image in grey, the heatmap in a perceptual colour map
/// (inferno: dark purple to yellow, readable in grey print and by colour-blind readers) whose opacity grows with the
/// heat, the lung outline in cyan, and a caption band with the grades.
/// </summary>
public static class Overlay
{
    // Inferno, sampled at nine evenly spaced points (matplotlib's table).
    static readonly (float R, float G, float B)[] Inferno =
    {
        (0.001f, 0.000f, 0.014f), (0.122f, 0.047f, 0.282f), (0.333f, 0.059f, 0.427f), (0.533f, 0.133f, 0.416f), (0.729f, 0.212f, 0.333f),
        (0.890f, 0.349f, 0.200f), (0.976f, 0.549f, 0.039f), (0.976f, 0.788f, 0.196f), (0.988f, 1.000f, 0.643f),
    };

    public static (byte R, byte G, byte B) Colour(float value)
    {
        float v = Math.Clamp(value, 0, 1) * (Inferno.Length - 1);
        int i = Math.Min((int)v, Inferno.Length - 2);
        float t = v - i;
        var a = Inferno[i];
        var b = Inferno[i + 1];
        return ((byte)(255 * (a.R + t * (b.R - a.R))), (byte)(255 * (a.G + t * (b.G - a.G))), (byte)(255 * (a.B + t * (b.B - a.B))));
    }

    /// <param name="grey">The radiograph at <paramref name="size"/>², intensities in [0, 1].</param>
    /// <param name="heat">The heatmap at the same size, in [0, 1].</param>
    /// <param name="lungs">Optional lung mask for the outline.</param>
    /// <param name="caption">Lines under the image (grades, HCS).</param>
    /// <param name="scale">Upscaling of the picture so the outline and colours can be read.</param>
    public static void Write(string path, float[] grey, float[] heat, bool[]? lungs, int size, IReadOnlyList<string> caption, int scale = 4)
    {
        var rgb = new byte[size * size * 3];
        for (int i = 0; i < size * size; i++)
        {
            float g = Math.Clamp(grey[i], 0, 1) * 255;
            var (r, gg, b) = Colour(heat[i]);
            float alpha = 0.65f * Math.Clamp(heat[i], 0, 1);
            rgb[i * 3] = (byte)((1 - alpha) * g + alpha * r);
            rgb[i * 3 + 1] = (byte)((1 - alpha) * g + alpha * gg);
            rgb[i * 3 + 2] = (byte)((1 - alpha) * g + alpha * b);
        }
        using var small = Image.NewFromMemory(rgb, size, size, 3, Enums.BandFormat.Uchar);
        using var picture = small.Resize(scale, kernel: Enums.Kernel.Linear);
        var big = picture.WriteToMemory<byte>();
        int w = size * scale;
        if (lungs is not null)
        {
            // Outline: lung pixels with a non-lung neighbour, drawn at the upscaled resolution.
            for (int y = 0; y < w; y++)
                for (int x = 0; x < w; x++)
                {
                    bool In(int xx, int yy) => xx >= 0 && yy >= 0 && xx < w && yy < w && lungs[(yy / scale) * size + xx / scale];
                    if (In(x, y) && (!In(x - 1, y) || !In(x + 1, y) || !In(x, y - 1) || !In(x, y + 1)))
                    {
                        int o = (y * w + x) * 3;
                        big[o] = 0; big[o + 1] = 230; big[o + 2] = 255;
                    }
                }
        }
        using var outlined = Image.NewFromMemory(big, w, w, 3, Enums.BandFormat.Uchar);
        using var band = Caption(caption, w);
        using var joined = outlined.Join(band, Enums.Direction.Vertical, background: new double[] { 20, 20, 20 });
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        joined.Pngsave(path);
    }

    static Image Caption(IReadOnlyList<string> lines, int width)
    {
        using var text = Image.Text(System.Security.SecurityElement.Escape(string.Join("\n", lines)) ?? "", width: width - 16, dpi: 110, font: "sans");
        // Light text on a dark band: text is an anti-aliased 0-255 mask; lift it above the band's grey.
        using var lifted = (text * (235.0 / 255.0) + 20).Cast(Enums.BandFormat.Uchar);
        using var rgbText = lifted.Bandjoin(lifted, lifted);
        using var band = (Image.Black(width, text.Height + 16, bands: 3) + 20).Cast(Enums.BandFormat.Uchar);
        return band.Insert(rgbText, 8, 8);
    }
}
