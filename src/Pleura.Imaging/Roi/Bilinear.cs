namespace Pleura.Imaging.Roi;

/// <summary>Bilinear resampling with pixel centres aligned (PyTorch's align_corners=False), for crops and heatmaps.</summary>
public static class Bilinear
{
    public static float[] Resize(float[] source, int width, int height, int newWidth, int newHeight)
    {
        if (width == newWidth && height == newHeight) return (float[])source.Clone();
        var result = new float[newWidth * newHeight];
        double sx = width / (double)newWidth, sy = height / (double)newHeight;
        for (int y = 0; y < newHeight; y++)
        {
            double fy = Math.Clamp((y + 0.5) * sy - 0.5, 0, height - 1);
            int y0 = (int)fy, y1 = Math.Min(y0 + 1, height - 1);
            double wy = fy - y0;
            for (int x = 0; x < newWidth; x++)
            {
                double fx = Math.Clamp((x + 0.5) * sx - 0.5, 0, width - 1);
                int x0 = (int)fx, x1 = Math.Min(x0 + 1, width - 1);
                double wx = fx - x0;
                double top = source[y0 * width + x0] * (1 - wx) + source[y0 * width + x1] * wx;
                double bottom = source[y1 * width + x0] * (1 - wx) + source[y1 * width + x1] * wx;
                result[y * newWidth + x] = (float)(top * (1 - wy) + bottom * wy);
            }
        }
        return result;
    }
}
