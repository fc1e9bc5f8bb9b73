using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pleura.Networks.Weights;

/// <summary>Starting a new task from a pretrained backbone: every tensor but the classifier head is copied.</summary>
public static class PretrainedStart
{
    /// <summary>Loads the backbone of the safetensors file at <paramref name="path"/> into <paramref name="model"/>, fitting
    /// the first convolution to the model's input channels (whatever the network calls it) and leaving the head as initialised.</summary>
    public static LoadReport Load(nn.Module model, string headPrefix, string path)
    {
        if (File.Exists(Checkpoint.SidecarOf(path)) && Checkpoint.ReadInfo(path).EnsembleMembers is { Count: > 1 } members)
            throw new InvalidDataException($"{path} is an ensemble of {members.Count} networks (a study's answer), not one backbone to start from: " +
                                           "start from one of its members' checkpoints (the study's trials/HASH/model.safetensors)");
        return Load(model, headPrefix, Safetensors.Read(path).Tensors, path, RecipeOf(path));
    }

    /// <summary>The input recipe of the weights at <paramref name="path"/>: their sidecar's, or grey in [0, 1] when they
    /// have none (a file written by another tool says nothing about its inputs).</summary>
    public static InputRecipe RecipeOf(string path) =>
        File.Exists(Checkpoint.SidecarOf(path)) ? Checkpoint.ReadInfo(path).Recipe : InputRecipe.UnitGrey;

    /// <summary>The same from tensors already read (a caller starting many models from one file reads it once).</summary>
    public static LoadReport Load(nn.Module model, string headPrefix, IEnumerable<KeyValuePair<string, Tensor>> weights, string origin,
        InputRecipe? recipe = null)
    {
        string firstConv = ModuleTree.DepthFirst(model).First(m => m.Module is Conv2d).Name + ".weight";
        return WeightLoader.Load(model, GreyInput.AdaptFirstConvolution(weights, model, firstConv, recipe), headPrefix, origin);
    }
}
