using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Pleura.Networks.Weights;

namespace Pleura.Networks.Export;

/// <summary>
/// What an exported model says about itself (ONNX metadata_props, keys prefixed <c>pleura.</c>): the graph's input, the
/// input recipe it applies, classes, architecture, side, the training data and split fingerprints, the grade decision
/// rule and the Pleura build that wrote it. Everything a hospital needs to run the file and trace it back to its run.
/// </summary>
public static class OnnxModelCard
{
    public const string Format = "pleura-onnx/1";
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    static string? Informational => typeof(OnnxModelCard).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    public static string PleuraVersion => typeof(OnnxModelCard).Assembly.GetName().Version?.ToString(3) ?? "0";

    /// <summary>The git commit the SDK stamps into the informational version ("1.0.0+sha"), or "unknown".</summary>
    public static string PleuraCommit => Informational?.Split('+') is [_, var commit, ..] && commit.Length > 0 ? commit : "unknown";

    public static string InputDescription(CheckpointInfo info) =>
        $"{OnnxExport.InputName}: float32 N x 1 x {info.InputSize} x {info.InputSize}, the grey radiograph in [0, 1] (0 black), resized to {info.InputSize} x {info.InputSize}" +
        (info.Roi == "none" ? "" : $", after the run's ROI scheme '{info.Roi}' (made by Pleura from lung masks, not by this graph)");

    public static string DecisionRule(CheckpointInfo info) => info.Decision == GradeDecision.Expected
        ? "Expected: round(sum_k k * p_k), halves away from zero, clamped to the classes"
        : "ArgMax: the most probable class (the first on ties)";

    public static string Summary(CheckpointInfo info) =>
        $"Pleura {info.Architecture}{(info.Side.Length > 0 ? $" ({info.Side} lung)" : "")}, classes {string.Join(", ", info.Classes)}. " +
        (info.EnsembleMembers is { Count: > 1 } members ? $"An ensemble of {members.Count} networks: probabilities = the mean of their softmax outputs, logits = its log. " : "") +
        $"Input {InputDescription(info)}; the graph applies the input recipe ({info.Recipe.Description}) itself. " +
        $"Outputs {OnnxExport.LogitsName} and {OnnxExport.ProbabilitiesName} (softmax), N x {info.Classes.Count}. Decision: {DecisionRule(info)}.";

    public static IReadOnlyList<(string Key, string Value)> Properties(CheckpointInfo info)
    {
        string Text(object? value) => JsonSerializer.Serialize(value, Json);
        var properties = new List<(string, string)>
        {
            ("pleura.format", Format),
            ("pleura.architecture", info.Architecture),
            ("pleura.classes", Text(info.Classes)),
            ("pleura.side", info.Side),
            ("pleura.label_column", info.LabelColumn),
            ("pleura.input", InputDescription(info)),
            ("pleura.input_size", info.InputSize.ToString(CultureInfo.InvariantCulture)),
            ("pleura.input_recipe", Text(info.Recipe)),
            ("pleura.network_input_channels", info.InputChannels.ToString(CultureInfo.InvariantCulture)),
            ("pleura.roi", info.Roi),
            ("pleura.decision", info.Decision.ToString()),
            ("pleura.decision_rule", DecisionRule(info)),
            // Pleura's own predictions average this many augmented copies; the graph scores the image once.
            ("pleura.test_time_augmentations", info.TestTimeAugmentations.ToString(CultureInfo.InvariantCulture)),
            ("pleura.data_fingerprint", info.DataFingerprint),
            ("pleura.split_fingerprint", info.SplitFingerprint),
            ("pleura.fold", info.Fold.ToString(CultureInfo.InvariantCulture)),
            ("pleura.checkpoint_created_utc", info.CreatedUtc.ToString("O", CultureInfo.InvariantCulture)),
            ("pleura.checkpoint_pleura_version", info.PleuraVersion),
            ("pleura.version", PleuraVersion),
            ("pleura.commit", PleuraCommit),
        };
        if (info.EnsembleMembers is not null) properties.Add(("pleura.ensemble_members", Text(info.EnsembleMembers)));
        if (info.Warnings is not null) properties.Add(("pleura.warnings", Text(info.Warnings)));
        if (info.PretrainedFrom is not null) properties.Add(("pleura.pretrained_from", info.PretrainedFrom));
        if (info.Metrics is not null) properties.Add(("pleura.metrics", info.Metrics.ToJsonString()));
        return properties;
    }
}
