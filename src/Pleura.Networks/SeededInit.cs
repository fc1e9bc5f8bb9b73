using static TorchSharp.torch;

namespace Pleura.Networks;

/// <summary>
/// Builds a network from a seed. libtorch's default generator is one per process: another thread drawing from it
/// between the seeding and the initialisation (a second trial, a test running beside this one) would change the
/// weights. Every seeded construction takes this lock, so the same seed always gives the same weights.
/// </summary>
public static class SeededInit
{
    static readonly object Gate = new();

    public static T Create<T>(long seed, Func<T> create)
    {
        lock (Gate)
        {
            manual_seed(seed);
            return create();
        }
    }
}
