using Pleura.Networks;

namespace Pleura.Tests.Networks;

public class TorchRuntimeTests
{
    [Fact]
    public void LibTorchLoadsAndMultipliesMatrices()
    {
        // Loading at all proves the native shim resolves (the build's libstdc++ fix); the product proves it computes.
        Assert.Equal(new float[] { 19, 22, 43, 50 }, TorchRuntime.SelfTest());
        Assert.StartsWith("2.", TorchRuntime.LibTorchVersion);
    }

    [Fact]
    public void EveryCopyOfTheShimInTheOutputIsLoadable()
    {
        // Which copy .NET loads depends on the first TorchSharp call, so every copy must have been patched.
        var copies = Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(copies);
        foreach (var copy in copies)
        {
            var handle = System.Runtime.InteropServices.NativeLibrary.Load(copy);
            Assert.NotEqual(IntPtr.Zero, handle);
        }
    }
}
