using Pleura.Data;

namespace Pleura.DicomWorkflows;

/// <summary>
/// What an ingest output folder belongs to: the pseudonym key its identifiers were made with (its key id, or none when
/// identifiers were kept) and the DICOM folders ingested into it, one batch each, numbered in the order they came. A
/// run with another key is refused before any work: its pseudonyms would not link to the rows already there.
/// </summary>
public sealed class IngestFolder
{
    const string Kind = "ingest", Name = "DICOM export", KeyFact = "key", RootPrefix = "source_root_";
    /// <summary>Recorded for identifiers kept as they are (--keep-identifiers).</summary>
    public const string NoKey = "none (identifiers kept)";

    readonly string folder;
    readonly string key;
    readonly List<string> roots;

    IngestFolder(string folder, string key, List<string> roots) => (this.folder, this.key, this.roots) = (folder, key, roots);

    /// <summary>The batch (1, 2, ...) of each source root, in the order they were first ingested.</summary>
    public IReadOnlyList<string> Roots => roots;

    /// <summary>
    /// Reads the folder's record and checks that an ingest of <paramref name="root"/> with <paramref name="keyId"/>
    /// (null: identifiers kept) may add to it. Writes nothing. A folder that has a manifest but no record was written
    /// before records were kept: its rows are taken as batch 1 of a root not recorded, so that nothing of it is lost.
    /// </summary>
    public static IngestFolder Open(string outputFolder, string root, string? keyId)
    {
        if (File.Exists(outputFolder)) throw new InvalidDataException($"{outputFolder} is a file, not a folder: give ingest an output folder (-o)");
        var key = keyId ?? NoKey;
        var wanted = new FolderOwner(Kind, Name, new Dictionary<string, string> { [KeyFact] = key });
        wanted.RefuseOther(outputFolder, "Ingest into a new output folder (or, to add to this one, with the key it was made with: --key).", KeyFact);
        var roots = FolderOwner.Read(outputFolder) is { } there
            ? there.Facts.Where(f => f.Key.StartsWith(RootPrefix, StringComparison.Ordinal))
                .OrderBy(f => int.Parse(f.Key[RootPrefix.Length..], System.Globalization.CultureInfo.InvariantCulture)).Select(f => f.Value).ToList()
            : File.Exists(Path.Combine(outputFolder, DicomIngest.ManifestFile)) ? new List<string> { "(an ingest before source roots were recorded)" } : new List<string>();
        var ingest = new IngestFolder(outputFolder, key, roots);
        if (!roots.Contains(root, StringComparer.Ordinal)) roots.Add(root);
        return ingest;
    }

    /// <summary>The batch number of <paramref name="root"/> (1-based).</summary>
    public int Batch(string root) => roots.IndexOf(root) + 1;

    /// <summary>Records the key and the source roots (after the outputs are written).</summary>
    public void Write()
    {
        var facts = new Dictionary<string, string> { [KeyFact] = key };
        for (int i = 0; i < roots.Count; i++) facts[RootPrefix + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)] = roots[i];
        new FolderOwner(Kind, Name, facts).Write(folder);
    }
}
