using System.Text.Json;
using Pleura.Data;
using Pleura.Imaging.Roi;
using Pleura.Training;

namespace Pleura.Study;

/// <summary>One point of the grid: an ROI scheme, a balancing, a backbone and how its head is fitted (both sides share it).</summary>
public sealed record Combination(RoiScheme Roi, Balancing Balancing, string Backbone, HeadFit Head = HeadFit.FineTune)
{
    public string RoiName => Roi.Name();
    public string BalancingName => Balancing.ToString().ToLowerInvariant();
    /// <summary>A fine-tuned combination keeps the key it always had; a ridge read-out says so after the backbone.</summary>
    public string Key => $"{Backbone}{(Head == HeadFit.Ridge ? " + ridge head" : "")} / roi {RoiName} / {BalancingName}";

    /// <summary>The grid of a study file, parsed once here (the file was checked when it was loaded). Without grid.heads
    /// every combination takes training.head.</summary>
    public static IReadOnlyList<Combination> Grid(GridSpec grid, HeadFit trainingHead) =>
        (from h in grid.Heads?.Select(name => GridSpec.TryParseHead(name, out var head) ? head : throw new ArgumentException($"unknown head '{name}'")) ?? new[] { trainingHead }
         from b in grid.Backbones
         from r in grid.Roi
         from bal in grid.Balancing
         select new Combination(RoiSchemes.Parse(r), Enum.Parse<Balancing>(bal, ignoreCase: true), b, h)).ToList();
}

/// <summary>One side model of a combination on one fold, and the hash that identifies it across runs and levels.</summary>
public sealed record TrialPlan(Combination Combination, string Side, int Fold, int Level, TrainingConfig Config, string Hash)
{
    public string Label => $"{Combination.Key}, {Side} lung, fold {Fold}";

    /// <summary>
    /// The hash covers everything that changes the trained model: combination, side, label column, fold, training
    /// settings, the manifest's and split's fingerprints and the starting weights. Not the level: level 2 reuses level 1's
    /// fold-1 trials; not the cache: it changes speed, not results.
    /// </summary>
    public static TrialPlan Create(Combination combination, string side, int fold, int level, TrainingConfig config, string labelColumn,
        string dataFingerprint, string splitFingerprint, string? pretrainedFingerprint)
    {
        var identity = JsonSerializer.Serialize(new
        {
            format = "pleura-trial/1", Roi = combination.RoiName, Balancing = combination.BalancingName, combination.Backbone, side, labelColumn, fold,
            config = JsonSerializer.Serialize(config, StudySpec.CompactJson), dataFingerprint, splitFingerprint, pretrainedFingerprint,
        });
        return new TrialPlan(combination, side, fold, level, config, Fingerprints.OfText(identity));
    }

    public static string FileFingerprint(string path) => Fingerprints.OfFile(path);
}
