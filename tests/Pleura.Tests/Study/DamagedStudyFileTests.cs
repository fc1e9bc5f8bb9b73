using Pleura.Study;

namespace Pleura.Tests.Study;

/// <summary>
/// Study files damaged the ways the mutation properties found (Robustness/MutationProperties): each crashed the reader
/// or the study (a null where a section or value belongs, an infinite number, a NUL byte YamlDotNet trips over, a path
/// with a NUL); each is now refused naming the file, the key and its line where there is one.
/// </summary>
public class DamagedStudyFileTests
{
    static InvalidDataException Refusal(string text, string extension = ".yaml")
    {
        using var folder = new TempFolder();
        var path = folder.File("study" + extension);
        File.WriteAllText(path, text);
        var e = Assert.Throws<InvalidDataException>(() => StudySpec.Load(path));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        return e;
    }

    const string Head = "name: s\nmanifest: m.csv\n";

    [Fact]
    public void AStudyFileWithAnEmptySectionIsRefusedAtItsKey() =>
        Assert.EndsWith(", line 3, 'grid': an empty value (a value is needed here)", Refusal(Head + "grid:\ntraining: ~\n").Message);

    [Fact]
    public void AStudyFileWithAnEmptyNameIsRefusedAtItsKey() =>
        Assert.EndsWith(", line 1, 'name': an empty value (a value is needed here)", Refusal("name: ~\nmanifest: m.csv\n").Message);

    [Fact]
    public void AStudyFileWithAnEmptyListIsRefusedAtItsKey() =>
        Assert.EndsWith(", line 4, 'grid.roi': an empty value (a value is needed here)", Refusal(Head + "grid:\n  roi: ~\n").Message);

    [Fact]
    public void AStudyFileWithAnEmptyListEntryIsRefusedAtItsKey() =>
        Assert.EndsWith(", line 4, 'grid.backbones[1]': an empty entry (a value is needed)", Refusal(Head + "grid:\n  backbones: [resnet10-w16, ~]\n").Message);

    [Fact]
    public void AStudyFileWithAnEmptyReaderEntryIsRefusedAtItsKey() =>
        Assert.EndsWith(", line 4, 'readers.left': an empty entry (reader1 and optionally reader2 are needed)", Refusal(Head + "readers:\n  left: ~\n").Message);

    [Fact]
    public void AStudyFileWithAnInfiniteLearningRateIsRefusedAtItsKey() =>
        Assert.EndsWith(", line 4, 'training.stage1_learning_rate': expected a number", Refusal(Head + "training:\n  stage1_learning_rate: 1e400\n").Message);

    [Fact]
    public void AStudyFileWithANotANumberWeightIsRefusedAtItsKey() =>
        Assert.EndsWith(", line 3, 'selection.mae_weight': expected a number", Refusal(Head + "selection: { mae_weight: NaN }\n").Message);

    /// <summary>YamlDotNet threw InvalidOperationException on this (a NUL in a flow sequence followed by another).</summary>
    [Fact]
    public void AStudyFileWithANulByteInAListIsRefusedAtItsLine() =>
        Assert.EndsWith(", line 4: not valid YAML: a control character (U+0000); a study file is plain text",
            Refusal(Head + "grid:\n  backbones: [resnet\0 3\n  options: [--account=x]\n").Message);

    /// <summary>YamlDotNet threw ArgumentException ("The current event is of an unsupported type") on this.</summary>
    [Fact]
    public void AStudyFileWithANulByteAsAKeyIsRefusedAtItsLine() =>
        Assert.EndsWith(", line 1: not valid YAML: a control character (U+0000); a study file is plain text", Refusal("\0: ph/manifest.csv\n").Message);

    [Fact]
    public void AStudyFileWithAListAsAKeyIsRefused() =>
        Assert.EndsWith(": not valid YAML: a key must be a plain name", Refusal(Head + "[a]: 3\n").Message);

    [Fact]
    public void AJsonStudyFileWithANulInItsManifestPathIsRefusedAtItsKey() =>
        Assert.EndsWith(", 'manifest': not a usable path (it holds a control character)", Refusal("""{ "name": "s", "manifest": "m\u0000.csv" }""", ".json").Message);
}
