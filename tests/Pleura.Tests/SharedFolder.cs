namespace Pleura.Tests;

/// <summary>
/// Finds the project's shared data and fixtures (../shared beside the repository, or $PLEURA_SHARED). Tests that need
/// them skip with a message when the folder is absent, as on a user's fresh clone.
/// </summary>
public static class SharedFolder
{
    public static string? Root { get; } = Find();

    static string? Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("PLEURA_SHARED");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(fromEnv)) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "fixtures"))) return candidate;
        }
        return null;
    }

    /// <summary>Path under the shared folder; skips the calling test when it is missing.</summary>
    public static string Require(params string[] parts)
    {
        Skip.If(Root is null, "../shared (data and reference fixtures) is not present; set PLEURA_SHARED to run this test");
        var path = Path.Combine(new[] { Root! }.Concat(parts).ToArray());
        Skip.IfNot(File.Exists(path) || Directory.Exists(path), $"{path} is not present");
        return path;
    }
}


/// <summary>Network copies for tests that compare two runs from the same starting weights.</summary>
public static class Twins
{
    /// <summary>
    /// A second network with the first one's current weights. Re-seeding the process-wide generator is not enough when
    /// other tests draw from it on other threads at the same time.
    /// </summary>
    public static T Of<T>(T original, Func<T> make) where T : TorchSharp.torch.nn.Module
    {
        var twin = make();
        using var _ = TorchSharp.torch.no_grad();
        var source = Pleura.Networks.StateDicts.Ordered(original).ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (key, target) in Pleura.Networks.StateDicts.Ordered(twin)) target.copy_(source[key]);
        return twin;
    }
}
