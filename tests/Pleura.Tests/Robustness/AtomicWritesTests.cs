using System.Text.RegularExpressions;
using Pleura.Files;
using Pleura.Testing;

namespace Pleura.Tests.Robustness;

/// <summary>
/// The README promises that no result is ever half-written: every file Pleura writes goes through
/// <see cref="AtomicFile"/> (complete under its name, or absent). A direct write added anywhere in src/ fails here unless
/// it is one of the few that are not results, each listed with why.
/// </summary>
public partial class AtomicWritesTests
{
    /// <summary>Direct writes that are not results: (file, the call it makes, why).</summary>
    static readonly (string File, string Call, string Why)[] NotResults =
    {
        ("src/Pleura.Files/AtomicFile.cs", "", "the primitive itself writes its temporary file"),
        ("src/Pleura.Server/Uploads.cs", "new FileStream(", "an upload streamed to a private temporary file (CreateNew)"),
        ("src/Pleura.DicomWorkflows/Pseudonyms.cs", "new FileStream(", "a new key file, created with CreateNew: never replaces a key"),
        ("src/Pleura.DicomWorkflows/Pseudonyms.cs", "new StreamWriter(", "the writer over that new key file"),
        ("src/Pleura.DicomWorkflows/StudyGrading.cs", "File.WriteAllBytesAsync(", "retrieved instances in a private work folder, deleted after grading"),
        ("src/Pleura.Benchmarks/ServeBenchmark.cs", "File.WriteAllTextAsync(", "a load-test script in a temporary folder"),
        ("src/Pleura.Training/ActivationDiskCache.cs", "new FileStream(", "a cache entry written under a per-thread temporary name and renamed"),
    };

    [GeneratedRegex(@"(?<![A-Za-z])File\.(WriteAll(Text|Bytes|Lines)(Async)?|AppendAll(Text|Lines)(Async)?|Create|OpenWrite)\(|new (StreamWriter|FileStream)\(")]
    private static partial Regex DirectWrite();

    static string Repository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pleura.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Pleura.sln above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void EveryResultFileIsWrittenThroughAtomicFile()
    {
        string root = Repository();
        var found = new List<string>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal)) continue;
            var lines = File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (line.TrimStart().StartsWith("//", StringComparison.Ordinal) || !DirectWrite().IsMatch(line)) continue;
                // Inside an AtomicFile.Write callback the target is its temporary path.
                bool intoTemporary = Regex.IsMatch(line, @"\((temp|temporary)\b") || (i > 0 && lines[Math.Max(0, i - 3)..i].Any(l => l.Contains("AtomicFile.Write(", StringComparison.Ordinal)));
                bool allowed = NotResults.Any(n => n.File == relative && line.Contains(n.Call, StringComparison.Ordinal));
                if (!intoTemporary && !allowed) found.Add($"{relative}:{i + 1}: {line.Trim()}");
            }
        }
        Assert.True(found.Count == 0, "direct writes of result files (use Pleura.Files.AtomicFile):\n" + string.Join("\n", found));
    }

    [Fact]
    public void AFailedWriteLeavesTheEarlierFileAndNoTemporaryBehind()
    {
        using var dir = new TempFolder();
        string path = dir.File("result.csv");
        AtomicFile.WriteAllText(path, "a,b\n1,2\n");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, temp =>
        {
            File.WriteAllText(temp, "a,b\n");
            throw new IOException("disk full");
        }));
        Assert.Equal("a,b\n1,2\n", File.ReadAllText(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void ThreadsOfOneProcessWritingOneFileEachLeaveAWholeFile()
    {
        // Two submitters of one study in one process claim its folder at once; each temp file must be its own.
        using var dir = new TempFolder();
        string path = dir.File("pleura-owner.json");
        var texts = Enumerable.Range(0, 8).Select(i => new string((char)('a' + i), 100_000)).ToArray();
        Parallel.ForEach(Enumerable.Range(0, 64), new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => AtomicFile.WriteAllText(path, texts[i % texts.Length]));
        Assert.Contains(File.ReadAllText(path), texts);
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void AnAbandonedTemporaryOfADeadProcessIsRemovedAndALiveOneKept()
    {
        using var dir = new TempFolder();
        string ours = dir.File($".x.png.0123456789ab.{Environment.ProcessId}.tmp");
        File.WriteAllText(ours, "");
        string dead = dir.File(".x.png.0123456789ab.2147483646.tmp");
        File.WriteAllText(dead, "");
        Assert.Equal(1, AtomicFile.RemoveAbandoned(dir.Path));
        Assert.True(File.Exists(ours));
        Assert.False(File.Exists(dead));
    }
}
