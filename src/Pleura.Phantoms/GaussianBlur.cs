namespace Pleura.Phantoms;

/// <summary>Separable Gaussian blur of a float image (edges clamped).</summary>
internal static class GaussianBlur
{
    public static float[] Apply(float[] image, int width, int height, double sigma)
    {
        if (sigma <= 0.05) return (float[])image.Clone();
        int radius = (int)Math.Ceiling(3 * sigma);
        var kernel = new float[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) sum += kernel[i + radius] = (float)Math.Exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < kernel.Length; i++) kernel[i] /= (float)sum;

        var temp = new float[image.Length];
        var result = new float[image.Length];
        for (int y = 0; y < height; y++)
        {
            int row = y * width;
            for (int x = 0; x < width; x++)
            {
                float acc = 0;
                for (int k = -radius; k <= radius; k++) acc += kernel[k + radius] * image[row + Math.Clamp(x + k, 0, width - 1)];
                temp[row + x] = acc;
            }
        }
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                float acc = 0;
                for (int k = -radius; k <= radius; k++) acc += kernel[k + radius] * temp[Math.Clamp(y + k, 0, height - 1) * width + x];
                result[y * width + x] = acc;
            }
        }
        return result;
    }
}
