using System.Globalization;
using Pleura.Data;
using Pleura.Files;

namespace Pleura.DicomWorkflows;

/// <summary>
/// Each batch's flow and unreadable list in OUT/batches (flow-N.csv, unreadable-N.csv, in the formats of the top-level
/// files), so that the output's flow.csv counts every file of every batch and unreadable.csv lists them all.
/// </summary>
public sealed class IngestBatchFiles(string outputFolder)
{
    string Folder => Path.Combine(outputFolder, DicomIngest.BatchesFolder);
    string Flow(int batch) => Path.Combine(Folder, $"flow-{batch.ToString(CultureInfo.InvariantCulture)}.csv");
    string Unreadable(int batch) => Path.Combine(Folder, $"unreadable-{batch.ToString(CultureInfo.InvariantCulture)}.csv");

    /// <summary>An output written before batches were kept: its top-level flow and unreadable list become batch 1's.</summary>
    public void KeepLegacy(string flowFile, string unreadableFile)
    {
        if (Directory.Exists(Folder)) return;
        var (flow, unreadable) = (Path.Combine(outputFolder, flowFile), Path.Combine(outputFolder, unreadableFile));
        if (File.Exists(flow)) AtomicFile.WriteAllBytes(Flow(1), File.ReadAllBytes(flow));
        if (File.Exists(unreadable)) AtomicFile.WriteAllBytes(Unreadable(1), File.ReadAllBytes(unreadable));
    }

    public void Save(int batch, string flowCsv, string unreadableCsv)
    {
        AtomicFile.WriteAllText(Flow(batch), flowCsv);
        AtomicFile.WriteAllText(Unreadable(batch), unreadableCsv);
    }

    IEnumerable<string> Files(string prefix) =>
        Directory.Exists(Folder) ? Directory.GetFiles(Folder, prefix + "-*.csv").Order(StringComparer.Ordinal) : [];

    /// <summary>Every batch's counts added up, rule by rule, in the order of <paramref name="rules"/> and <paramref name="corrections"/>.</summary>
    public (List<IngestStep> Flow, List<IngestStep> Corrections) SumFlows(IReadOnlyList<(string Key, string Description)> rules,
        IReadOnlyList<(string Key, string Description)> corrections)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var file in Files("flow"))
            foreach (var row in CsvTable.Read(file).Rows)
                counts[row["rule"]] = counts.GetValueOrDefault(row["rule"]) + int.Parse(row["count"], CultureInfo.InvariantCulture);
        List<IngestStep> Steps(IEnumerable<(string Key, string Description)> keys) => keys.Select(r => new IngestStep(r.Key, r.Description, counts.GetValueOrDefault(r.Key))).ToList();
        return (Steps(rules), Steps(corrections));
    }

    /// <summary>unreadable.csv of the whole output: every batch's rows, by path.</summary>
    public string UnreadableUnion() => DicomIngest.UnreadableCsv(
        Files("unreadable").SelectMany(f => CsvTable.Read(f).Rows).Select(r => new UnreadableFile(r["path"], r["reason"])));
}
