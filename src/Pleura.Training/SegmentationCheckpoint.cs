using System.Text.Json.Nodes;
using Pleura.Files;
using Pleura.Networks;
using Pleura.Networks.Segmentation;
using Pleura.Networks.Weights;
using static TorchSharp.torch;

namespace Pleura.Training;

/// <summary>
/// A segmentation model as `pleura segment train` writes it: safetensors weights and a JSON sidecar (format
/// <see cref="FormatName"/>) with its architecture, structures, input size and input recipe, the test images and their
/// Dice. Written by the segmentation job; read by it, by the lung ROI (the lung U-Net) and by the opacity job.
/// </summary>
public static class SegmentationCheckpoint
{
    public const string FormatName = CheckpointInfo.SegmentationFormatName;

    static readonly System.Text.Json.JsonSerializerOptions RecipeJson = new() { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase };

    /// <summary>Writes the weights to <paramref name="path"/> and their description beside them.</summary>
    /// <param name="recipe">The input recipe, or null for grey in [0, 1].</param>
    /// <param name="testDice">Test Dice per structure, in the structures' order.</param>
    public static void Save(string path, nn.Module model, string architecture, IReadOnlyList<string> structures, int size, int epochs,
        InputRecipe? recipe, string? pretrained, IReadOnlyList<string> testImages, IReadOnlyList<(string Structure, double Dice)> testDice)
    {
        Safetensors.Write(path, StateDicts.Ordered(model), new Dictionary<string, string> { ["architecture"] = architecture });
        AtomicFile.WriteAllText(Checkpoint.SidecarOf(path), new JsonObject
        {
            ["format"] = FormatName,
            ["architecture"] = architecture,
            ["structures"] = new JsonArray(structures.Select(s => (JsonNode)s).ToArray()),
            ["inputSize"] = size,
            ["epochs"] = epochs,
            ["input"] = recipe is null ? null : System.Text.Json.JsonSerializer.SerializeToNode(recipe, RecipeJson),
            ["pretrained"] = pretrained,
            ["testImages"] = new JsonArray(testImages.Select(i => (JsonNode)i).ToArray()),
            ["testDice"] = new JsonObject(testDice.Select(s => new KeyValuePair<string, JsonNode?>(s.Structure, s.Dice))),
        }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>A segmentation model's description, or a named error for a missing, foreign or grading one.</summary>
    static JsonObject Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: model file not found", path);
        var file = Checkpoint.SidecarOf(path);
        if (!File.Exists(file))
            throw new FileNotFoundException($"{file}: the model's description is missing (Pleura writes it beside the weights, {Path.GetFileName(path)}); " +
                                            "bare weights cannot be used without it", file);
        JsonObject? sidecar;
        try { sidecar = JsonNode.Parse(File.ReadAllText(file)) as JsonObject; }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{file}: not a Pleura model description ({e.Message})", e); }
        var format = sidecar?["format"] is JsonValue f && f.TryGetValue<string>(out var text) ? text : null;
        if (format == CheckpointInfo.FormatName)
            throw new InvalidDataException($"{path} is a grading model ({sidecar!["architecture"]}, side {sidecar["side"]}), not a segmentation model: " +
                                           "use it with `pleura predict` / `evaluate`, and give `segment` a model from `pleura segment train`");
        if (format != FormatName || sidecar!["structures"] is not JsonArray || sidecar["architecture"] is not JsonValue || sidecar["inputSize"] is not JsonValue)
            throw new InvalidDataException($"{file}: not a Pleura segmentation model description (format '{format ?? "none"}')");
        return sidecar;
    }

    /// <summary>A segmentation model, its structures, input size and input recipe (grey in [0, 1] unless its encoder
    /// started from weights that expect otherwise).</summary>
    public static (nn.Module<Tensor, Tensor> Model, IReadOnlyList<string> Structures, int Size, InputRecipe Recipe) Load(string path)
    {
        var sidecar = Read(path);
        var structures = sidecar["structures"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        var model = SegmentationArchitectures.Create(sidecar["architecture"]!.GetValue<string>(), 1, structures.Count);
        WeightLoader.Load(model, Safetensors.Read(path).Tensors, origin: path);
        var recipe = sidecar["input"] is { } input ? System.Text.Json.JsonSerializer.Deserialize<InputRecipe>(input, RecipeJson)! : InputRecipe.UnitGrey;
        return (model, structures, sidecar["inputSize"]!.GetValue<int>(), recipe);
    }
}
