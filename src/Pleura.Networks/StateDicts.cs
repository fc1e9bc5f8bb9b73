using static TorchSharp.torch;

namespace Pleura.Networks;

/// <summary>State-dict helpers that follow PyTorch's conventions where TorchSharp's differ.</summary>
public static class StateDicts
{
    /// <summary>
    /// The state dict in PyTorch's order: each module's own parameters, then its own persistent buffers, then its
    /// children in registration order. (TorchSharp's state_dict lists all parameters before all buffers.)
    /// </summary>
    public static List<KeyValuePair<string, Tensor>> Ordered(nn.Module module)
    {
        var result = new List<KeyValuePair<string, Tensor>>();
        Collect(module, "", result);
        return result;
    }

    static void Collect(nn.Module module, string prefix, List<KeyValuePair<string, Tensor>> into)
    {
        foreach (var (name, p) in module.named_parameters(recurse: false)) into.Add(new(prefix + name, p));
        foreach (var (name, b) in module.named_buffers(recurse: false, include_nonpersistent: false)) into.Add(new(prefix + name, b));
        foreach (var (name, child) in module.named_children()) Collect(child, prefix + name + ".", into);
    }
}
