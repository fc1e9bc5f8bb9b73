using System.Runtime.InteropServices;

namespace Pleura.Networks;

/// <summary>
/// What this CPU computes natively, as far as bfloat16 is concerned. Where bfloat16 is not native, libtorch's oneDNN
/// emulates it through float32 conversions and a bf16 network runs 7-15x slower than float32 (measured on an AVX2-only
/// EPYC), so whether to use it is a fact about the machine, not a preference.
/// </summary>
/// <param name="NativeBFloat16">Whether the CPU has a bfloat16 dot-product instruction.</param>
/// <param name="Evidence">The CPU flags that decided it (e.g. "avx512_bf16, amx_bf16"), or why none was found.</param>
/// <param name="OneDnnIsa">The widest instruction set oneDNN's convolutions will use, read from the same flags.</param>
public sealed record CpuArithmetic(bool NativeBFloat16, string Evidence, string OneDnnIsa)
{
    // x86: AVX-512 BF16 (Cooper Lake, Zen 4 on), AMX-BF16 (Sapphire Rapids on), AVX-NE-CONVERT; ARM: FEAT_BF16.
    static readonly string[] X86BFloat16Flags = ["avx512_bf16", "amx_bf16", "avx_ne_convert"];
    static readonly string[] ArmBFloat16Flags = ["bf16"];

    static readonly Lazy<CpuArithmetic> ThisMachine = new(() => FromCpuInfo(ReadCpuInfo(), RuntimeInformation.ProcessArchitecture));

    /// <summary>This machine's CPU (Linux /proc/cpuinfo; elsewhere bfloat16 is taken as not native).</summary>
    public static CpuArithmetic Current => ThisMachine.Value;

    /// <summary>Reads the first processor's flags (x86 "flags", ARM "Features") from /proc/cpuinfo text.</summary>
    public static CpuArithmetic FromCpuInfo(string? cpuInfo, Architecture architecture)
    {
        if (string.IsNullOrEmpty(cpuInfo))
            return new CpuArithmetic(false, "no /proc/cpuinfo to read", "unknown");
        string key = architecture is Architecture.Arm64 or Architecture.Arm ? "Features" : "flags";
        var line = cpuInfo.Split('\n').FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal) && l.Contains(':'));
        if (line is null)
            return new CpuArithmetic(false, $"no '{key}' line in /proc/cpuinfo", "unknown");
        var flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var wanted = key == "Features" ? ArmBFloat16Flags : X86BFloat16Flags;
        var present = wanted.Where(flags.Contains).ToList();
        string evidence = present.Count > 0 ? string.Join(", ", present) : $"none of {string.Join(", ", wanted)}";
        return new CpuArithmetic(present.Count > 0, evidence, IsaOf(flags, key == "Features"));
    }

    // oneDNN's CPU ISA names (dnnl::cpu_isa), the widest the flags allow.
    static string IsaOf(HashSet<string> flags, bool arm)
    {
        if (arm) return flags.Contains("sve") ? "sve" : "asimd";
        if (flags.Contains("amx_bf16")) return "avx512_core_amx";
        if (flags.Contains("avx512_bf16")) return "avx512_core_bf16";
        if (flags.Contains("avx512_vnni")) return "avx512_core_vnni";
        if (flags.Contains("avx512f")) return "avx512_core";
        if (flags.Contains("avx2")) return "avx2";
        return flags.Contains("sse4_1") ? "sse41" : "default";
    }

    static string? ReadCpuInfo()
    {
        try { return File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
