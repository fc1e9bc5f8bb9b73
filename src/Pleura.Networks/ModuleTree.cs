using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pleura.Networks;

/// <summary>Walks a module tree depth-first in registration order (TorchSharp's named_modules is breadth-first).</summary>
public static class ModuleTree
{
    public static IEnumerable<(string Name, nn.Module Module)> DepthFirst(nn.Module root, string prefix = "")
    {
        foreach (var (name, child) in root.named_children())
        {
            string full = prefix + name;
            yield return (full, child);
            foreach (var inner in DepthFirst(child, full + ".")) yield return inner;
        }
    }

    /// <summary>
    /// Names of the parameters stage 2 trains: the last <paramref name="convLayers"/> convolutions (in registration
    /// order, which for torchvision networks is forward order with a block's shortcut after its main path), the
    /// batch-norm that follows each of them, and the classifier head. A negative count means every layer.
    /// </summary>
    public static HashSet<string> LastConvolutions(nn.Module root, int convLayers, string headPrefix)
    {
        var modules = DepthFirst(root).ToList();
        var names = new HashSet<string>();
        if (convLayers < 0)
        {
            foreach (var (name, _) in root.named_parameters()) names.Add(name);
            return names;
        }
        var convIndexes = modules.Select((m, i) => (m, i)).Where(x => x.m.Module is Conv2d).Select(x => x.i).ToList();
        foreach (int index in convIndexes.TakeLast(convLayers))
        {
            AddParameters(modules[index], names);
            var norm = modules.Skip(index + 1).TakeWhile(m => m.Module is not Conv2d).FirstOrDefault(m => m.Module is BatchNorm2d);
            if (norm.Module is not null) AddParameters(norm, names);
        }
        foreach (var (name, _) in root.named_parameters()) if (name.StartsWith(headPrefix, StringComparison.Ordinal)) names.Add(name);
        return names;
    }

    static void AddParameters((string Name, nn.Module Module) m, HashSet<string> into)
    {
        foreach (var (p, _) in m.Module.named_parameters(recurse: false)) into.Add(m.Name + "." + p);
    }
}
