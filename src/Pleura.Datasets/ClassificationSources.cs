using Pleura.Data;
using Pleura.Files;

namespace Pleura.Datasets;

/// <summary>
/// The two image-level tasks of issue 15 as labelled sets over ../shared/data (layout in its README), with the patient of
/// every image so that splits are by patient:
/// <list type="bullet">
/// <item>view (seed study 001): frontal (PA, AP, AP supine) vs lateral on the COVID-19 collection, plus every JSRT image
/// (all PA, one per patient) as frontal. Rows whose view is blank or "?" are left out with their line.</item>
/// <item>pneumonia type (seed study 002): covid / normal / bacterial / viral from the pneumonia folder's index. Its file
/// names no longer carry the source's patient ids, so each image is its own patient (near-duplicate pairs exist; the
/// data README lists some).</item>
/// </list>
/// </summary>
public static class ClassificationSources
{
    public const string Frontal = "frontal", Lateral = "lateral";
    public static readonly IReadOnlyList<string> ViewClasses = new[] { Frontal, Lateral };
    public static readonly IReadOnlyList<string> PneumoniaClasses = new[] { "covid", "normal", "bacterial", "viral" };

    static readonly Dictionary<string, string> Views = new(StringComparer.Ordinal)
    {
        ["PA"] = Frontal, ["AP"] = Frontal, ["AP Supine"] = Frontal, ["L"] = Lateral,
    };

    // The data README: patients 192 and 196 are one person (the same radiograph appears under both ids).
    static readonly Dictionary<string, string> SamePatient = new(StringComparer.Ordinal) { ["196"] = "192" };

    /// <param name="data">The shared data folder (holding cohen/ and jsrt-scr/).</param>
    public static LabelledSet View(string data)
    {
        string cohen = Path.Combine(data, "cohen"), jsrt = Path.Combine(data, "jsrt-scr");
        var metadata = CsvTable.Read(Path.Combine(cohen, "metadata.csv"));
        metadata.RequireColumns("patientid", "view", "filename");
        var items = new List<LabelledItem>();
        var leftOut = metadata.Problems.Select(p => $"{metadata.Path}, line {p.Line}: {p.Message}").ToList();
        foreach (var row in metadata.Rows)
        {
            if (!Views.TryGetValue(row["view"].Trim(), out var view))
            {
                leftOut.Add($"{metadata.Path}, line {row.Line}: view '{row["view"]}' is neither frontal (PA, AP, AP Supine) nor lateral (L); {row["filename"]} left out");
                continue;
            }
            var patient = row["patientid"].Trim();
            items.Add(new LabelledItem(Path.Combine(cohen, "images", row["filename"]), view, "cohen:" + SamePatient.GetValueOrDefault(patient, patient)));
        }
        var index = CsvTable.Read(Path.Combine(jsrt, "index.csv"));
        index.RequireColumns("image");
        leftOut.AddRange(index.Problems.Select(p => $"{index.Path}, line {p.Line}: {p.Message}"));
        // JSRT has one image per patient, named by case.
        items.AddRange(index.Rows.Select(r => new LabelledItem(Path.Combine(jsrt, "images", r["image"]), Frontal, "jsrt:" + Path.GetFileNameWithoutExtension(r["image"]))));
        return new LabelledSet(items, leftOut);
    }

    /// <param name="data">The shared data folder (holding pneumonia/).</param>
    public static LabelledSet Pneumonia(string data) =>
        LabelledSource.Read(Path.Combine(data, "pneumonia", "index.csv"), PneumoniaClasses);

    /// <summary>The images as <see cref="ClassifiedImage"/>s for <see cref="ClassificationSplitter"/> (id = path).</summary>
    public static IReadOnlyList<ClassifiedImage> ForSplit(this LabelledSet set) =>
        set.Items.Select(i => new ClassifiedImage(i.Path, i.Patient, i.Class)).ToList();

    /// <summary>
    /// Writes a label table (<c>path,class,patient</c>, absolute paths) that <see cref="LabelledSource.Read"/>, `pleura
    /// pretrain` and `pleura bench transfer` read as it is, so a bench script can hand either task to a command.
    /// </summary>
    public static void WriteLabelTable(string path, IEnumerable<LabelledItem> items)
    {
        var lines = new List<string> { "path,class,patient" };
        lines.AddRange(items.Select(i => string.Join(",", CsvText.Field(i.Path), CsvText.Field(i.Class), CsvText.Field(i.Patient))));
        AtomicFile.WriteAllText(path, string.Join("\n", lines) + "\n");
    }
}
