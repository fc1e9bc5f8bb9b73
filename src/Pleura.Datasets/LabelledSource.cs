using Pleura.Data;
using Pleura.Files;
using Pleura.Imaging;
using Pleura.Imaging.Roi;
using Pleura.Training;

namespace Pleura.Datasets;

/// <summary>One image of a labelled set: its file, class and the patient it belongs to (the file itself when unknown).</summary>
public sealed record LabelledItem(string Path, string Class, string Patient);

/// <summary>
/// Where a label table keeps its fields: column names (defaults <c>path</c>, <c>class</c>, <c>patient</c>), the folder
/// image paths are relative to (default: the table's own), and class names to merge (e.g. "AP Supine" into "AP").
/// </summary>
public sealed record LabelledSourceFormat
{
    public string PathColumn { get; init; } = "path";
    public string ClassColumn { get; init; } = "class";
    /// <summary>Null: use a <c>patient</c> column where the table has one; named: the table must have it.</summary>
    public string? PatientColumn { get; init; }
    public string? ImageFolder { get; init; }
    public IReadOnlyDictionary<string, string> Merge { get; init; } = new Dictionary<string, string>();

    /// <summary>Parses "FROM=TO" pairs.</summary>
    public static Dictionary<string, string> ParseMerge(IEnumerable<string> pairs)
    {
        var merge = new Dictionary<string, string>();
        foreach (var p in pairs)
        {
            int eq = p.IndexOf('=');
            if (eq <= 0 || eq == p.Length - 1) throw new ArgumentException($"--merge takes FROM=TO (a class name into another), not '{p}'");
            string from = p[..eq].Trim(), to = p[(eq + 1)..].Trim();
            if (merge.TryGetValue(from, out var earlier) && earlier != to) throw new ArgumentException($"--merge: class '{from}' is merged into both '{earlier}' and '{to}'");
            merge[from] = to;
        }
        return merge;
    }
}

/// <summary>A labelled set decoded at the input size: the readable images (in table order), their label numbers and
/// the files that could not be read.</summary>
public sealed record DecodedSet(IReadOnlyList<LabelledItem> Items, IReadOnlyList<string> Classes, IReadOnlyList<float[]> Pixels, IReadOnlyList<int> Labels,
    int Size, IReadOnlyList<ImageFailure> Failures)
{
    public int Patients => Items.Select(i => i.Patient).Distinct().Count();

    /// <summary>Images given whole because their lungs were not found (a lung-ROI classifier), with the reason.</summary>
    public IReadOnlyList<ImageFailure> RoiFailures { get; init; } = Array.Empty<ImageFailure>();

    /// <summary>The images at <paramref name="indexes"/> as a training tensor.</summary>
    public LabelledImages Select(IEnumerable<int> indexes)
    {
        var list = indexes.ToList();
        return LabelledImages.FromPixels(list.Select(i => Pixels[i]).ToList(), Size, list.Select(i => Labels[i]).ToList());
    }
}

/// <summary>The usable images of a labelled set, and the rows left out with their reasons.</summary>
public sealed record LabelledSet(IReadOnlyList<LabelledItem> Items, IReadOnlyList<string> LeftOut)
{
    /// <summary>
    /// Writes every left-out row with its reason to <paramref name="path"/> (when there are any) and returns log lines: the
    /// first few and a count of the rest, so that a table with many blank labels does not flood the log.
    /// </summary>
    public IEnumerable<string> ReportLeftOut(string path, int shown = 5)
    {
        if (LeftOut.Count == 0) return Array.Empty<string>();
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        AtomicFile.WriteAllLines(path, LeftOut);
        return LeftOut.Take(shown).Append($"{LeftOut.Count} rows left out in all; every one with its reason in {path}");
    }
}

/// <summary>
/// A labelled CXR set for whole-image classification (pretraining sources, transfer comparisons): a folder with one
/// subfolder per class, or a label table (CSV) with a path, a class and optionally a patient column, so that
/// hold-outs are made by patient as everywhere else in Pleura.
/// </summary>
/// <summary>
/// A labelled image set as the image-level jobs (classify, pretrain, transfer comparisons) take it: where it is (a
/// folder of class subfolders or a label table), which classes, how the table names its fields, and what to do with
/// an image that cannot be read.
/// </summary>
public sealed record LabelledInput(string Source)
{
    /// <summary>Classes to use, in label order (default: all found, sorted).</summary>
    public IReadOnlyList<string>? Classes { get; init; }
    public LabelledSourceFormat? Format { get; init; }
    public ErrorPolicy OnUnreadableImage { get; init; } = ErrorPolicy.Continue;

    /// <summary>Reads and decodes the set at size²; left-out rows are written to <paramref name="leftOutPath"/> and logged.</summary>
    public DecodedSet Decode(int size, string leftOutPath, Action<string> log, CancellationToken cancel = default) =>
        LabelledSource.Decode(Source, Classes, Format, size, OnUnreadableImage, leftOutPath, log, cancel: cancel);

    /// <summary>As the size-only form, with each image made into a classifier's input (whole, or its lungs cut).</summary>
    public DecodedSet Decode(ClassifierInputs inputs, string leftOutPath, Action<string> log, CancellationToken cancel = default) =>
        LabelledSource.Decode(Source, Classes, Format, inputs.InputSize, OnUnreadableImage, leftOutPath, log, inputs, cancel);
}

public static class LabelledSource
{
    const string DefaultPatientColumn = "patient";

    /// <param name="classes">Classes to keep (after merging); null or empty keeps all.</param>
    public static LabelledSet Read(string source, IReadOnlyList<string>? classes = null, LabelledSourceFormat? format = null)
    {
        format ??= new LabelledSourceFormat();
        var items = new List<LabelledItem>();
        var leftOut = new List<string>();
        string Class(string name) => format.Merge.TryGetValue(name, out var merged) ? merged : name;
        if (Directory.Exists(source))
            items = Directory.EnumerateDirectories(source).OrderBy(d => d, StringComparer.Ordinal)
                .SelectMany(d => RadiographReader.ImageFiles(d).Select(f => new LabelledItem(f, Class(System.IO.Path.GetFileName(d)), f)))
                .ToList();
        else if (File.Exists(source))
        {
            var table = CsvTable.Read(source);
            table.RequireColumns(format.PathColumn, format.ClassColumn);
            if (format.PatientColumn is not null) table.RequireColumns(format.PatientColumn);
            string? patientColumn = format.PatientColumn ?? (table.Header.Contains(DefaultPatientColumn) ? DefaultPatientColumn : null);
            var root = format.ImageFolder ?? System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(source))!;
            leftOut.AddRange(table.Problems.Select(p => $"{source}, line {p.Line}: {p.Message}"));
            foreach (var r in table.Rows)
            {
                if (string.IsNullOrWhiteSpace(r[format.PathColumn]) || string.IsNullOrWhiteSpace(r[format.ClassColumn]))
                {
                    leftOut.Add($"{source}, line {r.Line}: no {(string.IsNullOrWhiteSpace(r[format.PathColumn]) ? format.PathColumn : format.ClassColumn)}; row left out");
                    continue;
                }
                var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, r[format.PathColumn]));
                var patient = patientColumn is not null && !string.IsNullOrWhiteSpace(r[patientColumn]) ? r[patientColumn] : path;
                items.Add(new LabelledItem(path, Class(r[format.ClassColumn]), patient));
            }
        }
        else throw new FileNotFoundException($"{source}: no such folder or CSV file", source);
        if (classes is { Count: > 0 }) items = items.Where(i => classes.Contains(i.Class)).ToList();
        return new LabelledSet(items, leftOut);
    }

    /// <summary>
    /// Reads the set, checks its classes, decodes every image at <paramref name="size"/> x <paramref name="size"/> and
    /// reports left-out rows (every one written to <paramref name="leftOutPath"/>) to <paramref name="log"/>.
    /// </summary>
    public static DecodedSet Decode(string source, IReadOnlyList<string>? classes, LabelledSourceFormat? format, int size, ErrorPolicy onUnreadable,
        string leftOutPath, Action<string> log, ClassifierInputs? inputs = null, CancellationToken cancel = default)
    {
        // Classes are checked against the whole table, so a misspelt class is reported with every class it could have been.
        var set = Read(source, null, format);
        var names = Classes(set.Items, classes, source);
        var items = set.Items.Where(i => names.Contains(i.Class)).ToList();
        // Rows of other classes (not asked for, or misspelt) are left out like any other row: counted and listed.
        var otherClasses = set.Items.Where(i => !names.Contains(i.Class))
            .Select(i => $"{i.Path}: class '{i.Class}' is not one of the classes used ({string.Join(", ", names)}); row left out");
        foreach (var line in (set with { LeftOut = set.LeftOut.Concat(otherClasses).ToList() }).ReportLeftOut(leftOutPath)) log(line);
        log($"reading {items.Count} images of {names.Count} classes ({string.Join(", ", names)}) at {size}x{size}");
        int readSize = inputs?.ReadSize ?? size;
        var batch = ImageBatch.Read(items.Select(i => i.Path).ToList(), p => RadiographReader.ReadResized(p, readSize, readSize), onUnreadable, cancel: cancel);
        var usable = items.Select((item, i) => (item, image: batch.Images[i])).Where(x => x.image is not null).ToList();
        var pixels = usable.Select(u => u.image!.Pixels).ToList();
        var roiFailures = new List<ImageFailure>();
        if (inputs is { Roi: not RoiScheme.None })
        {
            log($"finding the lungs of {pixels.Count} images with {inputs.LungModel}");
            var made = inputs.Make(pixels);
            pixels = made.Select(m => m.Pixels).ToList();
            roiFailures.AddRange(made.Select((m, k) => (m, k)).Where(x => x.m.RoiFailure is not null).Select(x => new ImageFailure(usable[x.k].item.Path, x.m.RoiFailure!)));
            if (roiFailures.Count > 0) log($"{roiFailures.Count} of {pixels.Count} images given whole: their lungs were not found (each with its reason in the run's roi-failures.txt)");
        }
        return new DecodedSet(usable.Select(u => u.item).ToList(), names, pixels,
            usable.Select(u => names.IndexOf(u.item.Class)).ToList(), size, batch.Failures) { RoiFailures = roiFailures };
    }

    /// <summary>The classes in the order their label numbers follow: as given, else sorted by name.</summary>
    public static List<string> Classes(IReadOnlyList<LabelledItem> items, IReadOnlyList<string>? given, string source)
    {
        var found = items.Select(i => i.Class).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToList();
        var classes = given is { Count: > 0 } ? given.ToList() : found;
        var empty = classes.Where(c => !found.Contains(c)).ToList();
        if (empty.Count > 0) throw new InvalidDataException($"{source}: no images of class {string.Join(", ", empty)} (classes found: {string.Join(", ", found)})");
        if (classes.Count < 2) throw new InvalidDataException($"{source}: need images of at least two classes (found {string.Join(", ", found)})");
        return classes;
    }

    /// <summary>
    /// Seeded, patient-level hold-out, stratified by class: for every item the part it falls in, 0 = train, then one
    /// part per entry of <paramref name="fractions"/> (shares of the images, e.g. validation 0.15, test 0.25). All images
    /// of a patient share a part; a patient counts in the stratum of their most frequent class.
    /// </summary>
    public static int[] HoldOut(IReadOnlyList<LabelledItem> items, IReadOnlyList<double> fractions, int seed)
    {
        if (fractions.Any(f => f < 0) || fractions.Sum() >= 1) throw new ArgumentOutOfRangeException(nameof(fractions), "hold-out shares must be non-negative and sum to less than 1");
        var random = new Random(seed);
        var parts = new int[items.Count];
        var patients = items.Select((item, index) => (item, index)).GroupBy(x => x.item.Patient, StringComparer.Ordinal)
            .Select(g => (Indexes: g.Select(x => x.index).ToList(),
                Stratum: g.GroupBy(x => x.item.Class).OrderByDescending(c => c.Count()).ThenBy(c => c.Key, StringComparer.Ordinal).First().Key))
            .OrderBy(p => p.Indexes[0]).ToList();
        foreach (var stratum in patients.GroupBy(p => p.Stratum).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var shuffled = stratum.OrderBy(_ => random.Next()).ToList();
            double total = shuffled.Sum(p => p.Indexes.Count), done = 0;
            foreach (var patient in shuffled)
            {
                // A patient's place is the middle of their images in the shuffled run; it falls in the part whose share covers it.
                double position = (done + patient.Indexes.Count / 2.0) / total;
                done += patient.Indexes.Count;
                int part = 0;
                double edge = 0;
                for (int k = 0; k < fractions.Count; k++)
                {
                    edge += fractions[k];
                    if (position < edge) { part = k + 1; break; }
                }
                foreach (var i in patient.Indexes) parts[i] = part;
            }
        }
        return parts;
    }
}
