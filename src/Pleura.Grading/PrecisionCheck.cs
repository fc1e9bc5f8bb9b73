using System.Text.Json;
using Pleura.Data;
using Pleura.Files;
using Pleura.Networks;

namespace Pleura.Grading;

/// <summary>Agreement of bfloat16 with float32 inference on the same images.</summary>
/// <param name="Part">The images it was measured on (e.g. "test part of fold 1").</param>
public sealed record PrecisionAgreement(int Lungs, double SameGrade, double MaxProbabilityDifference, string Part = "")
{
    /// <summary>bfloat16 may stand in for float32 when at least this share of lungs keeps its grade...</summary>
    public const double MinimumSameGrade = 0.98;
    /// <summary>...and no class probability moves by more than this.</summary>
    public const double MaximumProbabilityDifference = 0.05;

    public bool Holds => Lungs > 0 && SameGrade >= MinimumSameGrade && MaxProbabilityDifference <= MaximumProbabilityDifference;

    public override string ToString() =>
        $"same grade for {SameGrade * 100:0.0}% of {Lungs} lungs, largest probability difference {MaxProbabilityDifference:0.0000}{(Part.Length > 0 ? $" ({Part})" : "")}";

    public static PrecisionAgreement Of(IReadOnlyList<GradePrediction> fp32, IReadOnlyList<GradePrediction> bf16, string part)
    {
        var other = bf16.ToDictionary(p => (p.ImageId, p.Side));
        var pairs = fp32.Where(p => other.ContainsKey((p.ImageId, p.Side))).Select(p => (A: p, B: other[(p.ImageId, p.Side)])).ToList();
        if (pairs.Count == 0) return new PrecisionAgreement(0, 0, double.NaN, part);
        return new PrecisionAgreement(pairs.Count,
            pairs.Count(x => x.A.Predicted == x.B.Predicted) / (double)pairs.Count,
            pairs.Max(x => x.A.Probabilities.Zip(x.B.Probabilities).Max(v => Math.Abs(v.First - v.Second))), part);
    }
}

/// <summary>
/// The bfloat16-vs-float32 check a grading run keeps beside its checkpoints (<c>RUN/precision-check.json</c>), and the
/// choice `--precision auto` makes from it: bfloat16 only where this CPU computes it natively and the run's check holds.
/// Elsewhere bfloat16 is emulated and several times slower than float32, and an unchecked model may change its answers.
/// </summary>
public static class PrecisionCheck
{
    public const string FileName = "precision-check.json";

    /// <summary>Scores a part of a fold in float32 and in bfloat16 and records how far they agree.</summary>
    public static PrecisionAgreement Measure(string runFolder, string manifestPath, string splitPath, SplitPart part, int fold)
    {
        var (_, fp32, _) = CheckpointEvaluation.Evaluate(runFolder, manifestPath, splitPath, part, fold, bootstrapIterations: 0);
        var (_, bf16, _) = CheckpointEvaluation.Evaluate(runFolder, manifestPath, splitPath, part, fold, bfloat16: true, bootstrapIterations: 0);
        var agreement = PrecisionAgreement.Of(fp32, bf16, $"{part.ToString().ToLowerInvariant()} part of fold {fold}");
        Write(runFolder, agreement);
        return agreement;
    }

    public static void Write(string runFolder, PrecisionAgreement agreement) =>
        AtomicFile.WriteAllText(Path.Combine(runFolder, FileName), JsonSerializer.Serialize(agreement, JsonOptions));

    /// <summary>The run's recorded check, or null when it has none (older runs, runs trained without a test part).</summary>
    public static PrecisionAgreement? Read(string runFolder)
    {
        var path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<PrecisionAgreement>(File.ReadAllText(path), JsonOptions); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a precision check ({e.Message})"); }
    }

    static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
}

/// <summary>What `--precision` asks of inference: fp32, bf16, or auto (bf16 where native and checked).</summary>
public enum RequestedPrecision { Fp32, Bf16, Auto }

/// <summary>The precision inference runs in, and why, in words for the user.</summary>
/// <param name="Warning">Whether the reason is a warning (bf16 asked on a CPU that emulates it).</param>
public sealed record PrecisionChoice(bool BFloat16, string Reason, bool Warning = false)
{
    public static RequestedPrecision Parse(string text) => text.ToLowerInvariant() switch
    {
        "fp32" or "float32" => RequestedPrecision.Fp32,
        "bf16" or "bfloat16" => RequestedPrecision.Bf16,
        "auto" => RequestedPrecision.Auto,
        _ => throw new ArgumentException($"--precision must be auto, fp32 or bf16, not '{text}'"),
    };

    /// <param name="checks">The recorded checks of the runs to be served (null where a run has none).</param>
    public static PrecisionChoice For(RequestedPrecision requested, CpuArithmetic cpu, IReadOnlyList<PrecisionAgreement?> checks)
    {
        switch (requested)
        {
            case RequestedPrecision.Fp32:
                return new(false, "float32, as asked");
            case RequestedPrecision.Bf16:
                return cpu.NativeBFloat16
                    ? new(true, $"bfloat16, as asked (native: {cpu.Evidence})")
                    : new(true, $"bfloat16 as asked, but this CPU has no native bfloat16 ({cpu.Evidence}): it is emulated and several times slower than float32; `--precision auto` would use float32", Warning: true);
        }
        if (!cpu.NativeBFloat16)
            return new(false, $"float32 (auto: this CPU has no native bfloat16, {cpu.Evidence})");
        if (checks.Count == 0 || checks.Any(c => c is null))
            return new(false, "float32 (auto: the run records no bfloat16 check; train records one on its test part)");
        if (checks.FirstOrDefault(c => !c!.Holds) is { } failed)
            return new(false, $"float32 (auto: bfloat16 disagrees with float32 on this run: {failed})");
        return new(true, $"bfloat16 (auto: native on this CPU, {cpu.Evidence}; checked against float32: {string.Join("; ", checks)})");
    }
}
