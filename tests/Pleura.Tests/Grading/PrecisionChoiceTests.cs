using System.Runtime.InteropServices;
using Pleura.Grading;
using Pleura.Networks;

namespace Pleura.Tests.Grading;

/// <summary>`--precision auto`: bfloat16 only on a CPU that computes it natively and for runs whose bf16 check holds.</summary>
public class PrecisionChoiceTests
{
    const string Avx2Epyc = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse sse4_1 avx avx2 fma\n";
    const string Zen4 = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16 gfni\n";
    const string SapphireRapids = "processor\t: 0\nflags\t\t: avx2 avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n";
    const string Graviton3 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n";

    static readonly CpuArithmetic Emulated = CpuArithmetic.FromCpuInfo(Avx2Epyc, Architecture.X64);
    static readonly CpuArithmetic Native = CpuArithmetic.FromCpuInfo(Zen4, Architecture.X64);
    static readonly PrecisionAgreement Good = new(40, 1.0, 0.004, "test part of fold 1");
    static readonly PrecisionAgreement Bad = new(40, 0.90, 0.12, "test part of fold 1");

    [Fact]
    public void CpuFlagsTellWhetherBFloat16IsNative()
    {
        Assert.Equal((false, "avx2"), (Emulated.NativeBFloat16, Emulated.OneDnnIsa));
        Assert.Equal((true, "avx512_core_bf16", "avx512_bf16"), (Native.NativeBFloat16, Native.OneDnnIsa, Native.Evidence));
        var spr = CpuArithmetic.FromCpuInfo(SapphireRapids, Architecture.X64);
        Assert.Equal((true, "avx512_core_amx", "avx512_bf16, amx_bf16"), (spr.NativeBFloat16, spr.OneDnnIsa, spr.Evidence));
        Assert.True(CpuArithmetic.FromCpuInfo(Graviton3, Architecture.Arm64).NativeBFloat16);
        Assert.False(CpuArithmetic.FromCpuInfo(null, Architecture.X64).NativeBFloat16);
        Assert.Contains("none of avx512_bf16", Emulated.Evidence);
    }

    [Fact]
    public void AutoKeepsFloat32WhereBFloat16IsEmulated()
    {
        var choice = PrecisionChoice.For(RequestedPrecision.Auto, Emulated, [Good]);
        Assert.False(choice.BFloat16);
        Assert.Contains("no native bfloat16", choice.Reason);
    }

    [Fact]
    public void AutoUsesBFloat16WhereNativeAndEveryRunsCheckHolds()
    {
        var choice = PrecisionChoice.For(RequestedPrecision.Auto, Native, [Good, Good]);
        Assert.True(choice.BFloat16);
        Assert.False(choice.Warning);
        Assert.Contains("same grade for 100.0% of 40 lungs", choice.Reason);
    }

    [Fact]
    public void AutoKeepsFloat32ForARunWithoutACheckOrWithAFailedOne()
    {
        Assert.False(PrecisionChoice.For(RequestedPrecision.Auto, Native, [Good, null]).BFloat16);
        Assert.Contains("records no bfloat16 check", PrecisionChoice.For(RequestedPrecision.Auto, Native, [null]).Reason);
        var failed = PrecisionChoice.For(RequestedPrecision.Auto, Native, [Good, Bad]);
        Assert.False(failed.BFloat16);
        Assert.Contains("disagrees", failed.Reason);
    }

    [Fact]
    public void AnExplicitBFloat16IsObeyedAndWarnedAboutWhereEmulated()
    {
        var emulated = PrecisionChoice.For(RequestedPrecision.Bf16, Emulated, [null]);
        Assert.True(emulated.BFloat16);
        Assert.True(emulated.Warning);
        Assert.Contains("several times slower", emulated.Reason);
        var native = PrecisionChoice.For(RequestedPrecision.Bf16, Native, [null]);
        Assert.Equal((true, false), (native.BFloat16, native.Warning));
        Assert.False(PrecisionChoice.For(RequestedPrecision.Fp32, Native, [Good]).BFloat16);
    }

    [Theory]
    [InlineData("auto", RequestedPrecision.Auto)]
    [InlineData("FP32", RequestedPrecision.Fp32)]
    [InlineData("bfloat16", RequestedPrecision.Bf16)]
    public void PrecisionNamesParse(string text, RequestedPrecision expected) => Assert.Equal(expected, PrecisionChoice.Parse(text));

    [Fact]
    public void AnUnknownPrecisionIsAUsageError() =>
        Assert.Contains("auto, fp32 or bf16", Assert.Throws<ArgumentException>(() => PrecisionChoice.Parse("fp16")).Message);

    [Fact]
    public void TheCheckIsWrittenAndReadBackBesideTheRun()
    {
        using var dir = new Pleura.Testing.TempFolder();
        Assert.Null(PrecisionCheck.Read(dir.Path));
        PrecisionCheck.Write(dir.Path, Bad);
        Assert.Equal(Bad, PrecisionCheck.Read(dir.Path));
        Assert.False(Bad.Holds);
        Assert.True(Good.Holds);
        File.WriteAllText(Path.Combine(dir.Path, PrecisionCheck.FileName), "{ not json");
        Assert.Contains(PrecisionCheck.FileName, Assert.Throws<InvalidDataException>(() => PrecisionCheck.Read(dir.Path)).Message);
    }
}
