using TorchSharp;

namespace Pleura.Networks;

/// <summary>Facts about the loaded libtorch and a one-line check that it computes.</summary>
public static class TorchRuntime
{
    /// <summary>libtorch's version string, e.g. "2.10.0"; loading it is what proves the native libraries resolve.</summary>
    public static string LibTorchVersion => torch.__version__;

    /// <summary>Sets the intra-op thread count (the cores libtorch may use for one operation).</summary>
    public static void UseThreads(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "at least one thread");
        torch.set_num_threads(threads);
    }

    /// <summary>Multiplies two small known matrices and returns the result, so callers can check the runtime works.</summary>
    public static float[] SelfTest()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        var b = torch.tensor(new float[] { 5, 6, 7, 8 }, new long[] { 2, 2 });
        return a.matmul(b).data<float>().ToArray();
    }
}
