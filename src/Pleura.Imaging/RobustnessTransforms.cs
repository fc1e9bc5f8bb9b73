using NetVips;

namespace Pleura.Imaging;

/// <summary>One named transform of a test image, for accuracy per transform (issue 15's robustness set).</summary>
public sealed record RobustnessTransform(string Name, string Description, Func<GreyImage, GreyImage> Apply);

/// <summary>
/// Perturbations that a view or pneumonia classifier meets in practice or that expose a shortcut: a radiograph stored
/// rotated or mirrored, burnt-in annotations, half the film blank, a tight crop, inverted (MONOCHROME1-like) contrast.
/// Each returns a new image and leaves its input alone. Transforms that change the size (rotation by 90 degrees of a
/// non-square image) say so; a model's input recipe resizes afterwards as it does for any image.
/// </summary>
public static class RobustnessTransforms
{
    public static IReadOnlyList<RobustnessTransform> All { get; } = new RobustnessTransform[]
    {
        new("rotate90", "rotated 90 degrees clockwise", Rotate90),
        new("rotate180", "rotated 180 degrees", Rotate180),
        new("flip-horizontal", "mirrored left to right", FlipHorizontal),
        new("flip-vertical", "mirrored top to bottom", FlipVertical),
        new("text", "white text burnt into the top left (as a marker or annotation)", image => BurnText(image, "R  PORTABLE 08:15")),
        new("blank-half", "the right half set to black", image => BlankHalf(image)),
        new("crop", "the central half of each side, enlarged back to the image size", image => CentreCrop(image, 0.5)),
        new("invert", "contrast inverted (1 - intensity)", Invert),
    };

    /// <summary>Clockwise: the output's pixel (x, y) is the input's (y, H - 1 - x); width and height swap.</summary>
    public static GreyImage Rotate90(GreyImage image)
    {
        int w = image.Width, h = image.Height;
        var pixels = new float[w * h];
        for (int y = 0; y < w; y++)
            for (int x = 0; x < h; x++)
                pixels[y * h + x] = image.Pixels[(h - 1 - x) * w + y];
        return new GreyImage(h, w, pixels, image.SourceBitDepth);
    }

    public static GreyImage Rotate180(GreyImage image)
    {
        var pixels = (float[])image.Pixels.Clone();
        Array.Reverse(pixels);
        return new GreyImage(image.Width, image.Height, pixels, image.SourceBitDepth);
    }

    public static GreyImage FlipHorizontal(GreyImage image)
    {
        var pixels = (float[])image.Pixels.Clone();
        for (int y = 0; y < image.Height; y++) Array.Reverse(pixels, y * image.Width, image.Width);
        return new GreyImage(image.Width, image.Height, pixels, image.SourceBitDepth);
    }

    public static GreyImage FlipVertical(GreyImage image)
    {
        int w = image.Width, h = image.Height;
        var pixels = new float[w * h];
        for (int y = 0; y < h; y++) Array.Copy(image.Pixels, (h - 1 - y) * w, pixels, y * w, w);
        return new GreyImage(w, h, pixels, image.SourceBitDepth);
    }

    public static GreyImage Invert(GreyImage image) =>
        new(image.Width, image.Height, image.Pixels.Select(p => 1f - p).ToArray(), image.SourceBitDepth);

    /// <summary>Sets the right half (columns from W/2) to <paramref name="value"/>; the left half is kept as it was.</summary>
    public static GreyImage BlankHalf(GreyImage image, float value = 0f)
    {
        var pixels = (float[])image.Pixels.Clone();
        for (int y = 0; y < image.Height; y++)
            Array.Fill(pixels, value, y * image.Width + image.Width / 2, image.Width - image.Width / 2);
        return new GreyImage(image.Width, image.Height, pixels, image.SourceBitDepth);
    }

    /// <summary>Keeps the central <paramref name="share"/> of the width and of the height and enlarges it back to the
    /// image's size (bilinear), so the lungs fill the frame and the borders, a source's signature, are gone.</summary>
    public static GreyImage CentreCrop(GreyImage image, double share)
    {
        if (share <= 0 || share > 1) throw new ArgumentOutOfRangeException(nameof(share), share, "must lie in (0, 1]");
        int cw = Math.Max(1, (int)Math.Round(image.Width * share)), ch = Math.Max(1, (int)Math.Round(image.Height * share));
        int left = (image.Width - cw) / 2, top = (image.Height - ch) / 2;
        using var source = Image.NewFromMemory(image.Pixels, image.Width, image.Height, 1, Enums.BandFormat.Float);
        using var cropped = source.Crop(left, top, cw, ch);
        using var enlarged = cropped.Resize((double)image.Width / cw, kernel: Enums.Kernel.Linear, vscale: (double)image.Height / ch);
        // Resize can land a pixel short or long of the target; embed/crop to the exact size.
        using var exact = enlarged.Gravity(Enums.CompassDirection.Centre, image.Width, image.Height, extend: Enums.Extend.Copy);
        return new GreyImage(image.Width, image.Height, exact.WriteToMemory<float>(), image.SourceBitDepth);
    }

    /// <summary>
    /// Burns <paramref name="text"/> in white into the top-left corner, its height about a twelfth of the image, as
    /// markers and annotations are (libvips renders an anti-aliased mask, as <c>Overlay</c>'s captions do).
    /// </summary>
    public static GreyImage BurnText(GreyImage image, string text)
    {
        int margin = Math.Max(1, image.Width / 40);
        using var mask = Image.Text(System.Security.SecurityElement.Escape(text) ?? "", width: Math.Max(8, image.Width - 2 * margin),
            height: Math.Max(8, image.Height / 12), font: "sans bold");
        var alpha = mask.Cast(Enums.BandFormat.Uchar).WriteToMemory<byte>();
        var pixels = (float[])image.Pixels.Clone();
        for (int y = 0; y < mask.Height && margin + y < image.Height; y++)
            for (int x = 0; x < mask.Width && margin + x < image.Width; x++)
            {
                float a = alpha[y * mask.Width + x] / 255f;
                int i = (margin + y) * image.Width + margin + x;
                pixels[i] = (1 - a) * pixels[i] + a;
            }
        return new GreyImage(image.Width, image.Height, pixels, image.SourceBitDepth);
    }
}
