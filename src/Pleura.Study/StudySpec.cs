using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Pleura.Training;
using YamlDotNet.RepresentationModel;
using Pleura.Imaging.Roi;

namespace Pleura.Study;

/// <summary>The label columns of one lung: the reference reader and, where there is one, a second reader.</summary>
public sealed record SideColumns
{
    public string Reader1 { get; init; } = "";
    public string? Reader2 { get; init; }
}

/// <summary>The combinatorial grid of METHOD section 9: ROI schemes x balancing x backbones, one model per side.</summary>
public sealed record GridSpec
{
    public IReadOnlyList<string> Roi { get; init; } = new[] { "none", "lung", "spine" };
    public IReadOnlyList<string> Balancing { get; init; } = new[] { "under", "over", "double" };
    public IReadOnlyList<string> Backbones { get; init; } = new[] { "resnet50", "vgg16", "densenet121" };
    /// <summary>One model per listed lung (METHOD), or [pooled]: one model for both lungs, the left lung's ROI mirrored (PooledSides).</summary>
    public IReadOnlyList<string> Sides { get; init; } = PatientSides.Both.Select(s => s.Name()).ToArray();
    /// <summary>How each backbone's head is fitted: [fine_tune] (METHOD's two stages), [ridge] (a closed-form read-out of
    /// the frozen features), or both, so that levels 1-3 rank probes and fine-tuned models on the same folds. Unset: the
    /// one value of training.head.</summary>
    public IReadOnlyList<string>? Heads { get; init; }

    /// <summary>A head name of the study file, spelt as training.head is (the study's snake_case enum names: fine_tune, ridge).</summary>
    public static bool TryParseHead(string name, out HeadFit head) => HeadNames.TryGetValue(name, out head);

    static readonly Dictionary<string, HeadFit> HeadNames =
        Enum.GetValues<HeadFit>().ToDictionary(h => JsonNamingPolicy.SnakeCaseLower.ConvertName(h.ToString()), StringComparer.OrdinalIgnoreCase);

    /// <summary>The lungs the grid's models grade: each listed side, or both for a pooled model.</summary>
    public IReadOnlyList<PatientSide> Lungs() => Sides.Contains(PooledSides.Name) ? PatientSides.Both : Sides.Select(PatientSides.Parse).ToList();
}

/// <summary>Which folds level 1 ranks the grid on.</summary>
public enum RankingFolds
{
    /// <summary>METHOD: fold 1's test part (with 120 images, about nine images per lung).</summary>
    FirstFold,
    /// <summary>Every selection fold (the mean over folds, as level 2 ranks): every non-OOB patient tested once per
    /// combination, for small data sets where one fold's test part cannot rank anything. Level 2 reuses these trials.</summary>
    AllFolds,
}

/// <summary>How levels 1 and 2 pick the final combination: level 1 ranks on <see cref="RankOn"/>; level 2 ranks by macro
/// MAE and by MA-HCS, combined with these weights.</summary>
public sealed record SelectionSpec
{
    public double MaeWeight { get; init; } = 0.5;
    public double HcsWeight { get; init; } = 0.5;
    public RankingFolds RankOn { get; init; } = RankingFolds.FirstFold;
}

/// <summary>The patient-level split the study makes (METHOD section 4).</summary>
public sealed record StudySplitSpec
{
    public int Seed { get; init; } = 42;
    public double OobFraction { get; init; } = 0.1;
}

/// <summary>Which combinations the cross-validated estimate covers.</summary>
public enum CrossValidationCandidates
{
    /// <summary>Level 2's choice only.</summary>
    Chosen,
    /// <summary>Every combination level 2 ranked (the top K), each paired against the chosen one.</summary>
    TopK,
}

/// <summary>
/// The cross-validated estimate over every patient (the OOB set included): the patients dealt into <see cref="Folds"/>
/// groups, each fold testing one group, validating on the next and training on the rest, so every image is predicted by
/// a model that never saw its patient. With 120 images this scores 240 lungs instead of the OOB set's two dozen.
/// </summary>
public sealed record CrossValidationSpec
{
    /// <summary>Folds (0: off). Each costs one trial per side of every candidate.</summary>
    public int Folds { get; init; }
    /// <summary>The seed that deals the patients (default: the split's). Studies with the same manifest and seed share folds, so they pair.</summary>
    public int? Seed { get; init; }
    public CrossValidationCandidates Candidates { get; init; } = CrossValidationCandidates.Chosen;
}

/// <summary>What each task of a Slurm job array asks for (`pleura study run --executor slurm`).</summary>
public sealed record SlurmSpec
{
    /// <summary>Partition to submit to; empty for the cluster's default.</summary>
    public string Partition { get; init; } = "";
    public int CpusPerTask { get; init; } = 4;
    /// <summary>Memory per task as sbatch takes it (e.g. 8G).</summary>
    public string Memory { get; init; } = "8G";
    /// <summary>Time limit per task as sbatch takes it (e.g. 02:00:00).</summary>
    public string Time { get; init; } = "04:00:00";
    /// <summary>Tasks running at once (the array's %N); 0 for no limit.</summary>
    public int MaxParallel { get; init; }
    /// <summary>Rounds of resubmitting trials that failed or whose task was killed, after the first.</summary>
    public int Retries { get; init; } = 2;
    /// <summary>Further sbatch options, passed as they are (e.g. --account=radiology).</summary>
    public IReadOnlyList<string> Options { get; init; } = Array.Empty<string>();
}

/// <summary>
/// A study file (YAML or JSON, snake_case keys): what `pleura study run` reads. Paths are relative to the file.
/// </summary>
public sealed record StudySpec
{
    public string Name { get; init; } = "study";
    public string Manifest { get; init; } = "";
    /// <summary>Per side ("left", "right"): reader columns. Default: left_grade / left_grade_r2, right_grade / right_grade_r2.</summary>
    public IReadOnlyDictionary<string, SideColumns> Readers { get; init; } = new Dictionary<string, SideColumns>
    {
        [PatientSide.Left.Name()] = new() { Reader1 = Pleura.Datasets.Side.Left.Reader1Column, Reader2 = Pleura.Datasets.Side.Left.Reader2Column },
        [PatientSide.Right.Name()] = new() { Reader1 = Pleura.Datasets.Side.Right.Reader1Column, Reader2 = Pleura.Datasets.Side.Right.Reader2Column },
    };
    /// <summary>Manifest columns for level 4 subgroups; "age" is cut into bands.</summary>
    public IReadOnlyList<string> Groups { get; init; } = new[] { "sex" };
    public GridSpec Grid { get; init; } = new();
    public int Folds { get; init; } = 5;
    public int TopK { get; init; } = 5;
    public SelectionSpec Selection { get; init; } = new();
    public StudySplitSpec Split { get; init; } = new();
    /// <summary>Training settings shared by every trial (the architecture comes from the grid).</summary>
    public TrainingConfig Training { get; init; } = new();
    /// <summary>Per backbone, a safetensors file to start from; backbones not listed start from one seeded initialisation shared by all trials.</summary>
    public IReadOnlyDictionary<string, string> Pretrained { get; init; } = new Dictionary<string, string>();
    public int Seed { get; init; } = 1;
    /// <summary>Frozen-prefix activation cache (METHOD's stage 1 needs features, not gradients).</summary>
    public bool Cache { get; init; } = true;
    /// <summary>A folder for the cache's rows shared by processes and cluster tasks (empty: memory only); relative to the study file.</summary>
    public string CacheFolder { get; init; } = "";
    public int Bootstrap { get; init; } = 1000;
    /// <summary>Level-4 groups with fewer OOB images are reported but marked too small to judge.</summary>
    public int MinGroupSize { get; init; } = 20;
    /// <summary>Grad-CAM on each trial's test images for MA-HCS (needs lung mask columns).</summary>
    public bool Heatmaps { get; init; } = true;
    /// <summary>Level 3 answers with the mean class probabilities of the final model and the chosen combination's
    /// level-2 fold models (its heatmaps stay the final model's); the final model alone is reported beside it.</summary>
    public bool Ensemble { get; init; }
    /// <summary>Each training image is learned from both readers' grades (two examples, one per reader, where reader 2
    /// graded it); validation, test and OOB stay against reader 1.</summary>
    public bool TrainOnBothReaders { get; init; }
    /// <summary>Where the experiment store lives: empty for STUDY_FOLDER/study.db, a <c>postgresql://</c> URI or <c>Host=...</c>
    /// connection string for a shared PostgreSQL database (passwords better in PGPASSWORD or ~/.pgpass), or a SQLite file.</summary>
    public string Store { get; init; } = "";
    public SlurmSpec Slurm { get; init; } = new();
    /// <summary>The file this spec was read from (null when built in code): its folder records the file's hash.</summary>
    [JsonIgnore] public string? SourceFile { get; init; }
    /// <summary>After level 2: the chosen recipe's (and optionally every candidate's) error over all patients by patient-level cross-validation.</summary>
    public CrossValidationSpec CrossValidation { get; init; } = new();

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    static readonly char[] ControlCharacters = Enumerable.Range(0, 32).Where(c => c is not ('\t' or '\n' or '\r')).Append(127).Select(c => (char)c).ToArray();

    /// <summary>How study files are read: as <see cref="Json"/>, and a key left empty (or null) where a value is needed is refused.</summary>
    static readonly JsonSerializerOptions FileJson = new(Json) { RespectNullableAnnotations = true };

    /// <summary>The same conventions on one line: for hashes and table cells.</summary>
    public static readonly JsonSerializerOptions CompactJson = new(Json) { WriteIndented = false };

    /// <summary>The spec as JSON (saved in the store), the store's password hidden.</summary>
    public string ToJson() => JsonSerializer.Serialize(this with { Store = Pleura.Store.PostgreSqlLocation.Redact(Store) }, Json);

    /// <summary>
    /// Reads a .yaml/.yml or .json study file. Every problem (bad syntax, an unknown key, a value of the wrong kind or
    /// out of range, a missing file) is an <see cref="InvalidDataException"/> naming the file, the key and its line.
    /// </summary>
    public static StudySpec Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"study file not found: {path}", path);
        string text = File.ReadAllText(path);
        JsonNode? node;
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        bool yaml = Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml";
        // YAML is printable text; YamlDotNet trips over a NUL with exceptions of its own, so control characters are refused first, at their line.
        if (yaml && text.IndexOfAny(ControlCharacters) is var at and >= 0)
            throw new InvalidDataException($"{path}, line {text.AsSpan(0, at).Count('\n') + 1}: not valid YAML: a control character (U+{(int)text[at]:X4}); a study file is plain text");
        try
        {
            node = yaml ? YamlToJson(text, lines) : JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        // YamlDotNet stops on some damaged text with InvalidOperationException or ArgumentException instead of its YamlException.
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not valid {(path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "JSON" : "YAML")}: {e.Message}");
        }
        var problems = new StudyFileProblems(path, lines);
        StudySpec spec;
        try { spec = node.Deserialize<StudySpec>(FileJson) ?? throw new InvalidDataException($"{path}: empty study file"); }
        catch (JsonException e) { throw problems.FromJson(e); }
        spec.CheckEntries(problems);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Resolve(string p) => Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(folder, p));
        if (spec.Manifest == "") throw problems.At("$.manifest", "'manifest' is required (the manifest CSV, relative to the study file)");
        spec = spec with
        {
            Manifest = Resolve(spec.Manifest),
            Pretrained = spec.Pretrained.ToDictionary(p => p.Key, p => Resolve(p.Value)),
            CacheFolder = spec.CacheFolder == "" ? "" : Resolve(spec.CacheFolder),
            Store = spec.Store == "" || Pleura.Store.PostgreSqlLocation.IsPostgreSql(spec.Store) ? spec.Store : Resolve(spec.Store),
            SourceFile = Path.GetFullPath(path),
        };
        spec.Check(problems);
        return spec;
    }

    public void Check(string origin) => Check(new StudyFileProblems(origin, new Dictionary<string, int>()));

    /// <summary>Entries of lists and mappings as read (the keys themselves are checked by the deserializer): none left
    /// empty, and the paths usable as paths.</summary>
    void CheckEntries(StudyFileProblems problems)
    {
        var lists = new (string Key, IEnumerable<string?> Values)[]
        {
            ("$.groups", Groups), ("$.grid.roi", Grid.Roi), ("$.grid.balancing", Grid.Balancing), ("$.grid.backbones", Grid.Backbones),
            ("$.grid.sides", Grid.Sides), ("$.grid.heads", Grid.Heads ?? Array.Empty<string>()), ("$.slurm.options", Slurm.Options),
        };
        foreach (var (key, values) in lists)
            foreach (var (value, i) in values.Select((v, i) => (v, i)))
                if (value is null) throw problems.At($"{key}[{i}]", "an empty entry (a value is needed)");
        foreach (var (side, columns) in Readers)
            if (columns is null) throw problems.At($"$.readers.{side}", "an empty entry (reader1 and optionally reader2 are needed)");
        var paths = Pretrained.Select(p => ($"$.pretrained.{p.Key}", p.Value))
            .Append(("$.manifest", Manifest)).Append(("$.cache_folder", CacheFolder)).Append(("$.store", Store));
        foreach (var (key, value) in paths)
        {
            if (value is null) throw problems.At(key, "an empty entry (a path is needed)");
            if (value.IndexOfAny(Path.GetInvalidPathChars()) >= 0) throw problems.At(key, "not a usable path (it holds a control character)");
        }
    }

    void Check(StudyFileProblems problems)
    {
        void Fail(string key, string message) => throw problems.At(key, message);
        if (!System.Text.RegularExpressions.Regex.IsMatch(Name, "^[A-Za-z0-9][A-Za-z0-9._-]*$"))
            Fail("$.name", $"name '{Name}' must be a plain folder name (letters, digits, '.', '_', '-'): the study's results are written under it");
        if (Grid.Roi.Count == 0 || Grid.Balancing.Count == 0 || Grid.Backbones.Count == 0 || Grid.Sides.Count == 0) Fail("$.grid", "every grid dimension needs at least one value");
        foreach (var (r, i) in Grid.Roi.Select((r, i) => (r, i)))
            if (!Pleura.Imaging.Roi.RoiSchemes.TryParse(r, out _)) Fail($"$.grid.roi[{i}]", $"ROI '{r}' must be none, lung or spine");
        foreach (var (b, i) in Grid.Balancing.Select((b, i) => (b, i)))
            if (!Enum.TryParse<Balancing>(b, true, out _)) Fail($"$.grid.balancing[{i}]", $"balancing '{b}' must be none, under, over or double");
        foreach (var (b, i) in Grid.Backbones.Select((b, i) => (b, i)))
            if (!Pleura.Networks.Architectures.Names.Contains(b)) Fail($"$.grid.backbones[{i}]", $"backbone '{b}' is not one of {string.Join(", ", Pleura.Networks.Architectures.Names)}");
        if (Grid.Heads is { Count: 0 }) Fail("$.grid.heads", "every grid dimension needs at least one value");
        foreach (var (h, i) in (Grid.Heads ?? Array.Empty<string>()).Select((h, i) => (h, i)))
            if (!GridSpec.TryParseHead(h, out _)) Fail($"$.grid.heads[{i}]", $"head '{h}' must be fine_tune or ridge");
        foreach (var (s, i) in Grid.Sides.Select((s, i) => (s, i)))
        {
            if (s == PooledSides.Name)
            {
                if (Grid.Sides.Count > 1) Fail($"$.grid.sides[{i}]", "sides: [pooled] is one model for both lungs; it cannot be listed with other sides");
                foreach (var lung in PatientSides.Both.Where(l => !Readers.ContainsKey(l.Name())))
                    Fail($"$.grid.sides[{i}]", $"a pooled model grades both lungs, and side '{lung.Name()}' has no entry under 'readers'");
            }
            else if (!Readers.ContainsKey(s)) Fail($"$.grid.sides[{i}]", $"side '{s}' has no entry under 'readers'");
        }
        if (Folds < 1 || Folds > 9) Fail("$.folds", $"folds must lie in 1..9 (level 3 uses the fold after the last), got {Folds}");
        if (TopK < 1) Fail("$.top_k", "top_k must be at least 1");
        if (Selection.MaeWeight < 0 || Selection.HcsWeight < 0 || Selection.MaeWeight + Selection.HcsWeight <= 0)
            Fail("$.selection", "selection weights must be non-negative and not both zero");
        if (Split.OobFraction is < 0 or >= 1) Fail("$.split.oob_fraction", $"oob_fraction must be a fraction from 0 to below 1, got {Split.OobFraction}");
        if (Bootstrap < 0) Fail("$.bootstrap", "bootstrap must be 0 or more");
        if (CrossValidation.Folds is < 0 or 1 or 2 || CrossValidation.Folds > 20)
            Fail("$.cross_validation.folds", $"cross_validation.folds must be 0 (off) or 3..20 (each fold tests one group of patients and validates on the next), got {CrossValidation.Folds}");
        if (Slurm.CpusPerTask < 1) Fail("$.slurm.cpus_per_task", "cpus_per_task must be at least 1");
        if (Slurm.MaxParallel < 0) Fail("$.slurm.max_parallel", "max_parallel must be 0 (no limit) or more");
        if (Slurm.Retries < 0) Fail("$.slurm.retries", "retries must be 0 or more");
        foreach (var (b, p) in Pretrained)
        {
            if (!Pleura.Networks.Architectures.Names.Contains(b)) Fail($"$.pretrained.{b}", $"backbone '{b}' is not one of {string.Join(", ", Pleura.Networks.Architectures.Names)}");
            if (!File.Exists(p)) Fail($"$.pretrained.{b}", $"pretrained weights for {b} not found: {p}");
        }
        foreach (var b in Grid.Backbones)
        {
            // The grid's backbone replaces training.architecture in every trial.
            try { (Training with { Architecture = b }).Check(); }
            catch (ArgumentException e) { Fail($"$.training.{JsonNamingPolicy.SnakeCaseLower.ConvertName(e.ParamName ?? "")}", $"{b}: {Plain(e)}"); }
        }
    }

    /// <summary>An argument exception's message without .NET's "(Parameter 'X')" and "Actual value was" lines.</summary>
    static string Plain(ArgumentException e)
    {
        var text = e.Message.Split('\n')[0];
        int cut = text.IndexOf(" (Parameter '", StringComparison.Ordinal);
        text = cut > 0 ? text[..cut] : text;
        return e is ArgumentOutOfRangeException { ActualValue: { } v } ? $"{text}, got {v}" : text;
    }

    /// <summary>YAML to JSON: mappings, sequences, and scalars typed as YAML 1.2's core schema reads them (quoted scalars stay strings).</summary>
    /// <param name="lines">Receives each value's JSON path ("$.grid.backbones[1]") and its line in the file.</param>
    static JsonNode? YamlToJson(string text, Dictionary<string, int> lines)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode, "$");

        JsonNode? Convert(YamlNode node, string path)
        {
            lines[path] = (int)node.Start.Line;
            return node switch
            {
                YamlMappingNode map => new JsonObject(map.Children.Select(c =>
                {
                    var key = (c.Key as YamlScalarNode)?.Value ?? throw new YamlDotNet.Core.YamlException(c.Key.Start, c.Key.End, "a key must be a plain name");
                    lines[$"{path}.{key}"] = (int)c.Key.Start.Line;
                    return new KeyValuePair<string, JsonNode?>(key, Convert(c.Value, $"{path}.{key}"));
                })),
                YamlSequenceNode seq => new JsonArray(seq.Children.Select((c, i) => Convert(c, $"{path}[{i}]")).ToArray()),
                YamlScalarNode s when s.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted => JsonValue.Create(s.Value),
                YamlScalarNode s => Scalar(s.Value ?? ""),
                _ => null,
            };
        }

        static JsonNode? Scalar(string v)
        {
            if (v is "" or "~" or "null" or "Null" or "NULL") return null;
            if (v is "true" or "True" or "TRUE") return JsonValue.Create(true);
            if (v is "false" or "False" or "FALSE") return JsonValue.Create(false);
            if (long.TryParse(v, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
            // Only finite numbers: 1e400 or NaN stays text and is refused as "expected a number" where a number belongs.
            if (double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                return JsonValue.Create(d);
            return JsonValue.Create(v);
        }
    }
}
