using System.Reflection;
using System.Text.RegularExpressions;

namespace Pleura.Tests.Cli;

/// <summary>
/// docs/contracts.md's bad-input catalogue stays the catalogue: every case of <see cref="BadInputCatalogue"/> has its
/// row, with its exit code, and every test the page names exists.
/// </summary>
public partial class ContractsPageTests
{
    static string Page()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var page = Path.Combine(dir.FullName, "docs", "contracts.md");
            if (File.Exists(page) && File.Exists(Path.Combine(dir.FullName, "Pleura.sln"))) return File.ReadAllText(page);
        }
        throw new FileNotFoundException("docs/contracts.md not found above the test assembly");
    }

    [Fact]
    public void EveryCatalogueCaseHasItsRowWithItsExitCode()
    {
        var rows = Page().Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal))
            .Select(l => l.Split(" | ")).Where(c => c.Length >= 3).ToDictionary(c => c[0][2..], c => c[1], StringComparer.Ordinal);
        var missing = BadInputCatalogue.Cases.Keys.Where(k => !rows.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, "docs/contracts.md has no row for: " + string.Join("; ", missing));
        foreach (var (name, c) in BadInputCatalogue.Cases)
            Assert.True(rows[name].StartsWith($"exit {c.Code}, \"{c.Message.Replace("|", "\\|", StringComparison.Ordinal)}\"", StringComparison.Ordinal),
                $"{name}: the page says \"{rows[name]}\", the test expects exit {c.Code} and \"{c.Message}\"");
    }

    /// <summary>`Folder/Class.Method` names a test of this assembly; a bare `Method` after it, another test of that class.</summary>
    [Fact]
    public void EveryTestThePageNamesExists()
    {
        var unknown = new List<string>();
        foreach (var line in Page().Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)))
        {
            Type? type = null;
            foreach (Match m in TestName().Matches(line.Split(" | ")[^1]))
            {
                var (folder, cls, method) = (m.Groups["folder"].Value, m.Groups["class"].Value, m.Groups["method"].Value);
                if (folder == "Pleura.Dicom.Tests") { type = null; continue; } // another test assembly
                if (cls.Length > 0) type = typeof(ContractsPageTests).Assembly.GetType($"Pleura.Tests.{folder}.{cls}");
                if (type?.GetMethod(method, BindingFlags.Public | BindingFlags.Instance) is null && !(folder.Length == 0 && type is null))
                    unknown.Add(m.Value);
            }
        }
        Assert.True(unknown.Count == 0, "docs/contracts.md names tests that do not exist: " + string.Join(", ", unknown));
    }

    [GeneratedRegex(@"`(?:(?<folder>[\w.]+)/(?<class>\w+)\.)?(?<method>[A-Z]\w+)`")]
    private static partial Regex TestName();
}
