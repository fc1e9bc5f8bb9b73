using System.Text.Json;
using System.Text.Json.Nodes;
using Pleura.Files;
using static TorchSharp.torch;

namespace Pleura.Networks.Weights;

/// <summary>
/// Everything needed to use a trained model again, stored as a JSON sidecar beside its safetensors weights:
/// architecture, classes, side, input handling, ROI scheme, training settings, metrics, split and data fingerprints.
/// </summary>
public sealed record CheckpointInfo
{
    public const string FormatName = "pleura-checkpoint/1";
    /// <summary>A segmentation model's description (written by Training's SegmentationCheckpoint), named here so that
    /// a grading checkpoint reader can tell the user which kind of model it was given.</summary>
    public const string SegmentationFormatName = "pleura-segmentation/1";

    public string Format { get; init; } = FormatName;
    public string PleuraVersion { get; init; } = typeof(CheckpointInfo).Assembly.GetName().Version?.ToString(3) ?? "0";
    public required string Architecture { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    /// <summary>"left" or "right" (the patient's), or empty for whole-image tasks.</summary>
    public string Side { get; init; } = "";
    public string LabelColumn { get; init; } = "";
    public required int InputSize { get; init; }
    /// <summary>1: grey through a summed conv1; 3: grey replicated to RGB.</summary>
    public required int InputChannels { get; init; }
    /// <summary>How pixels reach the network: grey scaled to [0, 1], no mean/std normalisation (METHOD section 6).</summary>
    public string Normalisation { get; init; } = "grey scaled to [0, 1]";
    /// <summary>The input recipe the weights expect; null for grey in [0, 1] (checkpoints written before recipes existed).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public InputRecipe? Input { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public InputRecipe Recipe => Input ?? InputRecipe.UnitGrey;
    /// <summary>How probabilities become a grade; the most probable class when absent.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    [System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<GradeDecision>))]
    public GradeDecision Decision { get; init; }
    /// <summary>Probabilities are averaged over the image and this many augmented copies (0: none).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public int TestTimeAugmentations { get; init; }
    /// <summary>The seed of those copies (1 in checkpoints written before it was recorded, as every scorer used then).</summary>
    public int TestTimeAugmentationSeed { get; init; } = DefaultTestTimeAugmentationSeed;
    public const int DefaultTestTimeAugmentationSeed = 1;
    public string Roi { get; init; } = "none";
    /// <summary>One model for both lungs (`--sides pooled`): it learnt every lung as a right lung, so the left side's
    /// input is mirrored left-right before it is fed (Imaging's PooledSides states the rule for every ROI).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool Pooled { get; init; }
    public JsonNode? Training { get; init; }
    public JsonNode? Metrics { get; init; }
    public string SplitFile { get; init; } = "";
    public int Fold { get; init; }
    public string SplitFingerprint { get; init; } = "";
    public string DataFingerprint { get; init; } = "";
    /// <summary>
    /// Image ids of the training and validation parts the model learnt from and was chosen on: evaluation refuses to
    /// report test or OOB figures on any of them. Null in checkpoints written before it was recorded.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? SeenImages { get; init; }
    /// <summary>
    /// Where each network of an ensemble came from, in the order of its weights (members.0, members.1, ...); null for
    /// one network. The model is then the mean of the members' class probabilities (<see cref="EnsembleNetwork"/>), all
    /// of the checkpoint's architecture and input recipe, and <see cref="SeenImages"/> holds every image any member saw.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? EnsembleMembers { get; init; }
    /// <summary>What a user must know before relying on the model (e.g. a study found that a baseline grades as well); null when nothing.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Warnings { get; init; }
    public string? PretrainedFrom { get; init; }
    public string? StopReason { get; init; }
    public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;
}

/// <summary>A model's weights (safetensors) plus its <see cref="CheckpointInfo"/> sidecar (same name, .json).</summary>
public static class Checkpoint
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string SidecarOf(string weightsPath) => Path.ChangeExtension(weightsPath, ".json");

    public static void Save(string weightsPath, nn.Module model, CheckpointInfo info)
    {
        if (info.Input is not null) info = info with { Normalisation = info.Input.Description };
        Safetensors.Write(weightsPath, StateDicts.Ordered(model), new Dictionary<string, string> { ["format"] = CheckpointInfo.FormatName, ["architecture"] = info.Architecture });
        SaveInfo(weightsPath, info);
    }

    /// <summary>Writes (or rewrites) the description beside existing weights.</summary>
    public static void SaveInfo(string weightsPath, CheckpointInfo info) => AtomicFile.WriteAllText(SidecarOf(weightsPath), JsonSerializer.Serialize(info, Json));

    public static CheckpointInfo ReadInfo(string weightsPath)
    {
        var sidecar = SidecarOf(weightsPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: model file not found", weightsPath);
        if (!File.Exists(sidecar))
            throw new FileNotFoundException($"{sidecar}: the checkpoint's description is missing (Pleura writes it beside the weights, {Path.GetFileName(weightsPath)}); " +
                                            "bare weights are a start for training (--pretrained), not a model to run", sidecar);
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(sidecar));
            if (node?["format"] is JsonValue f && f.TryGetValue<string>(out var format) && format == CheckpointInfo.SegmentationFormatName)
                throw new InvalidDataException($"{weightsPath} is a segmentation model, not a grading checkpoint: use it with `pleura segment`");
            var info = node.Deserialize<CheckpointInfo>(Json);
            if (info is null || info.Format != CheckpointInfo.FormatName) throw new InvalidDataException($"{sidecar}: not a Pleura checkpoint description");
            return info;
        }
        catch (JsonException e) { throw new InvalidDataException($"{sidecar}: not a Pleura checkpoint description ({e.Message})", e); }
    }

    /// <summary>Loads a checkpoint for scoring, its convolutions in bfloat16 if asked.</summary>
    public static (nn.Module<Tensor, Tensor> Model, CheckpointInfo Info) LoadForInference(string path, bool bfloat16)
    {
        var (model, info) = Load(path);
        if (bfloat16) Precision.ConvolutionsToBFloat16(model);
        return (model, info);
    }

    /// <summary>Builds the checkpoint's network and loads its weights exactly.</summary>
    public static (nn.Module<Tensor, Tensor> Model, CheckpointInfo Info) Load(string weightsPath)
    {
        var info = ReadInfo(weightsPath);
        var model = Network(info);
        var contents = Safetensors.Read(weightsPath);
        try { WeightLoader.Load(model, contents.Tensors, origin: weightsPath); }
        finally { foreach (var (_, t) in contents.Tensors) t.Dispose(); }
        model.eval();
        ChannelsLast.Weights(model);
        return (model, info);
    }

    /// <summary>The network a description names, with fresh weights: one of its architecture, or an ensemble of them.</summary>
    public static nn.Module<Tensor, Tensor> Network(CheckpointInfo info)
    {
        var architecture = Architectures.Get(info.Architecture);
        nn.Module<Tensor, Tensor> One() => architecture.Create(info.Classes.Count, info.InputChannels);
        return info.EnsembleMembers is { Count: > 1 } members ? new EnsembleNetwork(members.Select(_ => One()).ToList()) : One();
    }
}
