namespace Pleura.Phantoms;

/// <summary>Reproducible random streams keyed by (seed, purpose, index), independent of thread scheduling.</summary>
internal static class SeededRandom
{
    public static Random For(int seed, int purpose, int index)
    {
        // SplitMix64 finaliser over the three keys: nearby keys give unrelated streams.
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)purpose * 0xBF58476D1CE4E5B9UL ^ (ulong)(uint)index * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return new Random((int)(z & 0x7FFFFFFF));
    }

    public static double Uniform(this Random random, double low, double high) => low + (high - low) * random.NextDouble();

    public static double Gaussian(this Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static T Pick<T>(this Random random, IReadOnlyList<T> items, IReadOnlyList<double> weights)
    {
        double r = random.NextDouble() * weights.Sum();
        for (int i = 0; i < items.Count; i++)
        {
            r -= weights[i];
            if (r <= 0) return items[i];
        }
        return items[^1];
    }
}
