using NetVips;

namespace Pleura.Explainability;

/// <summary>
/// Draws a heatmap over a radiograph for a reader: the image in grey, the heatmap in a perceptual colour map
/// (inferno: dark purple to yellow, readable in grey print and by colour-blind readers) whose opacity grows with the
/// heat, the lung outline in cyan, a colour scale (heat 0 to 1) at the right, and a caption band with the grades.
/// </summary>
public static class Overlay
{
    // ScottPlot's inferno (matplotlib's table): the same map as the report's figures.
    static readonly ScottPlot.Colormaps.Inferno Inferno = new();

    public static (byte R, byte G, byte B) Colour(float value)
    {
        var c = Inferno.GetColor(Math.Clamp(value, 0, 1));
        return (c.R, c.G, c.B);
    }

    /// <param name="grey">The radiograph at <paramref name="size"/>², intensities in [0, 1].</param>
    /// <param name="heat">The heatmap at the same size, in [0, 1].</param>
    /// <param name="lungs">Optional lung mask for the outline.</param>
    /// <param name="caption">Lines under the image (grades, HCS).</param>
    /// <param name="scale">Upscaling of the picture so the outline and colours can be read.</param>
    public static void Write(string path, float[] grey, float[] heat, bool[]? lungs, int size, IReadOnlyList<string> caption, int scale = 4)
    {
        using var picture = Render(grey, heat, lungs, size, caption, scale);
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        picture.Pngsave(path);
    }

    /// <summary>The same picture as <see cref="Write"/>, as PNG bytes (for a server's answer).</summary>
    public static byte[] Png(float[] grey, float[] heat, bool[]? lungs, int size, IReadOnlyList<string> caption, int scale = 4)
    {
        using var picture = Render(grey, heat, lungs, size, caption, scale);
        return picture.PngsaveBuffer();
    }

    /// <summary>The overlay as interleaved 8-bit RGB (for a DICOM Secondary Capture), with its width and height.</summary>
    public static (byte[] Rgb, int Width, int Height) RenderRgb(float[] grey, float[] heat, bool[]? lungs, int size, IReadOnlyList<string> caption, int scale = 4)
    {
        using var picture = Render(grey, heat, lungs, size, caption, scale);
        return (picture.WriteToMemory<byte>(), picture.Width, picture.Height);
    }

    static Image Render(float[] grey, float[] heat, bool[]? lungs, int size, IReadOnlyList<string> caption, int scale)
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
        using var scaleBar = ColourScale(w);
        using var withScale = outlined.Join(scaleBar, Enums.Direction.Horizontal, background: new double[] { 20, 20, 20 });
        using var band = Caption(caption, withScale.Width);
        // Materialised so the caller's WriteToMemory / Pngsave does not reach back into the disposed inputs.
        using var joined = withScale.Join(band, Enums.Direction.Vertical, background: new double[] { 20, 20, 20 });
        return joined.Copy().CopyMemory();
    }

    /// <summary>The colour map from heat 1 (top) to 0 (bottom), labelled, as tall as the picture.</summary>
    static Image ColourScale(int height)
    {
        const int bar = 14, margin = 6, labels = 34;
        var rgb = new byte[height * bar * 3];
        for (int y = 0; y < height; y++)
        {
            var (r, g, b) = Colour(1f - y / (float)Math.Max(1, height - 1));
            for (int x = 0; x < bar; x++) { int o = (y * bar + x) * 3; rgb[o] = r; rgb[o + 1] = g; rgb[o + 2] = b; }
        }
        using var gradient = Image.NewFromMemory(rgb, bar, height, 3, Enums.BandFormat.Uchar);
        using var canvas = (Image.Black(margin + bar + labels, height, bands: 3) + 20).Cast(Enums.BandFormat.Uchar);
        var result = canvas.Insert(gradient, margin, 0);
        foreach (var (text, top) in new[] { ("1", true), ("0", false) })
        {
            using var label = Label(text);
            using var placed = result.Insert(label, margin + bar + 4, top ? 0 : Math.Max(0, height - label.Height));
            result.Dispose();
            result = placed.Copy();
        }
        return result;
    }

    /// <summary>Light text on the dark background (libvips renders text as an anti-aliased 0-255 mask).</summary>
    static Image Label(string text)
    {
        using var mask = Image.Text(System.Security.SecurityElement.Escape(text) ?? "", dpi: 110, font: "sans");
        using var lifted = (mask * (235.0 / 255.0) + 20).Cast(Enums.BandFormat.Uchar);
        return lifted.Bandjoin(lifted, lifted);
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
