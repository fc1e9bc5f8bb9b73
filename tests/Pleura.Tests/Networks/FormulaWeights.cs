using TorchSharp;
using static TorchSharp.torch;

namespace Pleura.Tests.Networks;

/// <summary>The deterministic weights and inputs of ../shared/fixtures/README.md, computed in double and stored as float32.</summary>
public static class FormulaWeights
{
    static double Value(uint seed, uint i)
    {
        unchecked
        {
            uint h = i * 0x9E3779B1u + seed;
            h ^= h >> 16;
            h *= 0x7FEB352Du;
            h ^= h >> 15;
            h *= 0x846CA68Bu;
            h ^= h >> 16;
            return h / 4294967296.0 * 2 - 1;
        }
    }

    public static Tensor For(string key, long[] shape)
    {
        uint seed = (uint)(System.Text.Encoding.UTF8.GetBytes(key).Sum(b => b) % 997);
        long n = shape.Aggregate(1L, (a, b) => a * b);
        string last = key.Split('.').Last();
        if (last == "num_batches_tracked") return zeros(shape, ScalarType.Int64);
        var values = new float[n];
        double fanIn = shape.Length > 0 ? (double)n / shape[0] : 1;
        for (uint i = 0; i < n; i++)
        {
            double v = Value(seed, i);
            values[i] = (float)(last switch
            {
                "running_mean" => 0.1 * v,
                "running_var" => 1 + 0.5 * Math.Abs(v),
                "weight" when shape.Length == 1 => 1 + 0.1 * v,
                "bias" when shape.Length == 1 => key.Contains("bn") || key.Contains("norm") || key.Contains("downsample") ? 0.1 * v : 0.01 * v,
                _ => v * Math.Sqrt(6 / fanIn),
            });
        }
        return tensor(values, shape);
    }

    /// <summary>Overwrites every parameter and buffer of a module with the formula.</summary>
    public static void Fill(nn.Module module)
    {
        using var _ = no_grad();
        foreach (var (key, t) in module.state_dict())
            t.copy_(For(key, t.shape));
    }

    public static Tensor Image(int n, int c, int h, int w, double salt)
    {
        var values = new float[n * c * h * w];
        for (int k = 0; k < values.Length; k++) values[k] = (float)(0.5 + 0.5 * Math.Sin(0.0137 * k + salt) * Math.Cos(0.0029 * k));
        return tensor(values, new long[] { n, c, h, w });
    }
}
