namespace Pleura.Dicom.Tests;

/// <summary>
/// The DICOM files of ../shared/data/dicom (or $PLEURA_SHARED/data/dicom), found by walking up from the test assembly
/// as Pleura.Tests does. Tests that need them skip with a message when the folder is absent.
/// </summary>
public static class SharedDicom
{
    public static string? Folder { get; } = Find();

    static string? Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("PLEURA_SHARED");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(Path.Combine(fromEnv, "data", "dicom")))
            return Path.Combine(fromEnv, "data", "dicom");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "dicom");
            if (File.Exists(Path.Combine(candidate, "index.csv"))) return candidate;
        }
        return null;
    }

    /// <summary>The file names listed in index.csv, or one placeholder that makes each theory skip.</summary>
    public static IEnumerable<object[]> Files()
    {
        if (Folder is null) return [["(shared/data/dicom absent)"]];
        return File.ReadLines(Path.Combine(Folder, "index.csv")).Skip(1).Where(l => l.Length > 0)
            .Select(l => new object[] { l.Split(',')[0] });
    }

    /// <summary>The transfer syntax UID index.csv gives for a file ("" for the bare dataset).</summary>
    public static string IndexedSyntax(string name) =>
        File.ReadLines(Path.Combine(Require(), "index.csv")).Select(l => l.Split(',')).First(c => c[0] == name)[8];

    public static string Require(string? name = null)
    {
        Skip.If(Folder is null, "shared/data/dicom is not present beside the repository; set PLEURA_SHARED to run this test");
        if (name is null) return Folder!;
        var path = Path.Combine(Folder!, name);
        Skip.IfNot(File.Exists(path), $"{path} is not present");
        return path;
    }
}
