using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Pleura.Data;
using Pleura.Dicom;
using Pleura.Dicom.Rendering;
using Pleura.Imaging;

namespace Pleura.Pipeline;

/// <summary>One step of an ingest's flow: how many files it took out (or, for the first and last, how many there were).</summary>
public sealed record IngestStep(string Key, string Description, int Count);

/// <summary>A file that could not be read, and why.</summary>
public sealed record UnreadableFile(string Path, string Reason);

/// <summary>What an ingest found and did: the flow (counts per rule, in order), the unreadable files, the manifest.</summary>
public sealed record IngestResult(IReadOnlyList<IngestStep> Flow, IReadOnlyList<UnreadableFile> Unreadable, Manifest Manifest,
    int Rendered, int Reused, string ManifestPath)
{
    public int Count(string key) => Flow.Single(s => s.Key == key).Count;
}

/// <summary>
/// `pleura ingest` (METHOD section 2, step A): a DICOM export to 16-bit PNGs and a Pleura manifest, applying and
/// counting the exclusion rules. Every file of the tree is in exactly one bucket of the flow: not DICOM, unreadable,
/// excluded by the first rule (in the order of <see cref="Rules"/>) it fails, or ingested. Outputs are written
/// atomically; a second run re-renders only images whose source changed (same SOP Instance UID and same file hash are
/// reused) and writes the same outputs as a fresh run.
/// </summary>
public static class DicomIngest
{
    public const string ManifestFile = "manifest.csv";
    public const string FlowFile = "flow.csv";
    public const string UnreadableFile = "unreadable.csv";

    // Flow keys, in the order the rules are applied.
    public const string Found = "files_found";
    public const string NotDicom = "not_dicom";
    public const string Unreadable = "unreadable";
    public const string NonImage = "non_image";
    public const string NotRadiograph = "not_radiograph";
    public const string NotChest = "not_chest";
    public const string Lateral = "lateral_view";
    public const string TooSmall = "too_small";
    public const string PostProcessed = "post_processed";
    public const string NoContentTime = "no_content_time";
    public const string NoPatientId = "no_patient_id";
    public const string Minor = "under_18";
    public const string Duplicate = "duplicate";
    public const string SeveralAcquisitionTimes = "several_acquisition_times";
    public const string NotFirstInAccession = "not_first_in_accession";
    public const string Ingested = "ingested";

    /// <summary>The rules with their descriptions, in the order they are applied.</summary>
    public static readonly IReadOnlyList<(string Key, string Description)> Rules =
    [
        (Found, "files found (DICOMDIR index files ignored)"),
        (NotDicom, "not DICOM (no 'DICM' marker, no dataset at the start)"),
        (Unreadable, "unreadable (header or pixel data; reasons in unreadable.csv)"),
        (NonImage, "non-image or document object (SR, PDF, presentation state...; no pixel data)"),
        (NotRadiograph, "modality not a radiograph (CR, DX, DR, RG)"),
        (NotChest, "body part examined given and not CHEST / THORAX"),
        (Lateral, "lateral view (view position LL, RL, LAT...): the grades are read on frontal images"),
        (TooSmall, $"smaller than {RadiographReader.MinimumSide}x{RadiographReader.MinimumSide} pixels"),
        (PostProcessed, "post-processed: Image Type DERIVED or SECONDARY, or a Derivation Description"),
        (NoContentTime, "no Content Time (nor Acquisition Time)"),
        (NoPatientId, "no Patient ID (patient-level splits cannot place the image)"),
        (Minor, "patient under 18 (Patient's Age, else birth date and study date)"),
        (Duplicate, "duplicate (same SOP Instance UID or same file content as an earlier file)"),
        (SeveralAcquisitionTimes, "accession with several acquisition times (all its images)"),
        (NotFirstInAccession, "not the first image of its accession (by content time)"),
        (Ingested, "ingested"),
    ];

    /// <summary>The extra manifest columns an ingest writes, after the standard ones.</summary>
    public static readonly IReadOnlyList<string> ExtraColumns =
    [
        "content_time", "acquisition_time", "modality", "body_part", "sop_class_uid", "study_uid", "series_uid", "sop_uid",
        "image_type", "photometric", "window_center", "window_width", "render", "source", "source_sha256",
    ];

    static readonly string[] RadiographModalities = ["CR", "DX", "DR", "RG"];
    static readonly string[] ChestBodyParts = ["CHEST", "THORAX"];
    static readonly string[] LateralViews = ["LL", "RL", "LAT", "LATERAL", "LLD", "RLD"];

    /// <summary>SOP classes that hold no radiograph: structured reports, encapsulated documents, presentation states, key objects, raw data.</summary>
    static readonly string[] NonImageSopClassPrefixes =
    [
        "1.2.840.10008.5.1.4.1.1.88.", "1.2.840.10008.5.1.4.1.1.104.", "1.2.840.10008.5.1.4.1.1.11.", "1.2.840.10008.5.1.4.1.1.66",
        "1.2.840.10008.5.1.4.1.1.9.", "1.2.840.10008.5.1.4.1.1.481.",
    ];

    static readonly DicomTag InstanceNumberTag = new(0x0020, 0x0013);

    /// <summary>The files an ingest of <paramref name="folder"/> looks at: every file of the tree but DICOMDIR, sorted.</summary>
    public static List<string> Files(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: folder not found");
        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !RadiographReader.IsDicomDir(f))
            .OrderBy(f => Path.GetRelativePath(folder, f), StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The header values the accession rules and the manifest need, copied out of the dataset so that the file's bytes
    /// (which the dataset's values point into) are not held for the whole run.
    /// </summary>
    sealed record Header(string? PatientId, string? Accession, DateOnly? StudyDate, TimeOnly? ContentTime, TimeOnly? AcquisitionTime,
        string? View, double? Age, string? Sex, string? Modality, string? BodyPart, string? SopClassUid, string? StudyUid, string? SeriesUid,
        string? SopUid, string ImageType, string? Photometric, int? InstanceNumber)
    {
        public static Header Of(DicomDataset d) => new(d.PatientID, d.AccessionNumber, d.StudyDate, d.ContentTime, d.AcquisitionTime,
            d.ViewPosition, DicomIngest.Age(d), d.PatientSex, d.Modality, d.BodyPartExamined, d.SOPClassUID, d.StudyInstanceUID, d.SeriesInstanceUID,
            d.SOPInstanceUID, string.Join('\\', d.ImageType), d.PhotometricInterpretation, d.GetInt(InstanceNumberTag));
    }

    /// <summary>A file that passed the rules that look at one file at a time.</summary>
    sealed record Candidate(string Path, string Source, string Sha256, Header Header)
    {
        public string? Excluded { get; set; }
        public string GroupKey => Header.Accession is { } a ? "accession:" + a
            : Header.StudyUid is { } s ? "study:" + s : "file:" + Source;
        public TimeOnly? Time => Header.ContentTime ?? Header.AcquisitionTime;
    }

    /// <param name="progress">Called with (steps done, total steps); a run takes two steps per file (header, then rendering).</param>
    /// <exception cref="InvalidDataException">With <paramref name="strict"/>, when a file is unreadable (nothing is written then but the PNGs already rendered).</exception>
    public static IngestResult Run(string folder, string outputFolder, string imagesSubfolder = "images", bool strict = false,
        Action<int, int>? progress = null, CancellationToken cancel = default)
    {
        folder = Path.GetFullPath(folder);
        outputFolder = Path.GetFullPath(outputFolder);
        if (imagesSubfolder.Length == 0 || Path.IsPathRooted(imagesSubfolder) || imagesSubfolder.Split('/', '\\').Contains(".."))
            throw new ArgumentException($"--images-subfolder must be a relative folder inside the output folder, not '{imagesSubfolder}'");
        if (IsInside(outputFolder, folder))
            throw new ArgumentException($"the output folder {outputFolder} is inside the DICOM folder {folder}; choose one outside it");
        var files = Files(folder);
        int total = 2 * Math.Max(files.Count, 1);
        var counts = Rules.ToDictionary(r => r.Key, _ => 0);
        counts[Found] = files.Count;
        var unreadable = new List<UnreadableFile>();
        var candidates = new List<Candidate>();

        // 1. Headers, file by file: the rules that need one file only.
        for (int i = 0; i < files.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var path = files[i];
            var source = Path.GetRelativePath(folder, path).Replace('\\', '/');
            var (header, sha, rule, why) = ReadHeader(path);
            if (header is not null) candidates.Add(new Candidate(path, source, sha!, header));
            else if (rule is not null) counts[rule]++;
            else if (why is null) counts[NotDicom]++;
            else { counts[Unreadable]++; unreadable.Add(new UnreadableFile(source, why)); }
            progress?.Invoke(i + 1, total);
        }
        if (strict && unreadable.Count > 0) throw Strict(unreadable);

        // 2. Duplicates: the same SOP instance or the same bytes as an earlier file (in path order).
        var seenUids = new HashSet<string>(StringComparer.Ordinal);
        var seenHashes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in candidates)
        {
            bool newUid = c.Header.SopUid is not { } uid || seenUids.Add(uid);
            bool newBytes = seenHashes.Add(c.Sha256);
            if (!newUid || !newBytes) Exclude(c, Duplicate, counts);
        }

        // 3. Accessions: several acquisition times drop the accession; otherwise its first readable image is kept.
        var previous = ReadPrevious(outputFolder);
        var imagesFolder = Path.Combine(outputFolder, imagesSubfolder);
        var rows = new List<ManifestRow>();
        int rendered = 0, reused = 0, done = 0;
        var groups = candidates.Where(c => c.Excluded is null).GroupBy(c => c.GroupKey, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        int remaining = groups.Sum(g => g.Count());
        foreach (var group in groups)
        {
            var acquisitionTimes = group.Select(c => c.Header.AcquisitionTime).OfType<TimeOnly>().Distinct().Count();
            var ordered = group.OrderBy(c => c.Time).ThenBy(c => c.Header.InstanceNumber ?? int.MaxValue).ThenBy(c => c.Source, StringComparer.Ordinal).ToList();
            bool kept = false;
            foreach (var c in ordered)
            {
                cancel.ThrowIfCancellationRequested();
                if (acquisitionTimes > 1) Exclude(c, SeveralAcquisitionTimes, counts);
                else if (kept) Exclude(c, NotFirstInAccession, counts);
                else
                {
                    try
                    {
                        var (row, fresh) = Ingest(c, imagesFolder, imagesSubfolder, previous, outputFolder);
                        rows.Add(row);
                        counts[Ingested]++;
                        if (fresh) rendered++; else reused++;
                        kept = true;
                    }
                    catch (ImageReadException e)
                    {
                        counts[Unreadable]++;
                        unreadable.Add(new UnreadableFile(c.Source, e.Reason));
                        if (strict) throw Strict(unreadable);
                    }
                }
                done++;
                progress?.Invoke(files.Count + (int)((long)done * files.Count / Math.Max(remaining, 1)), total);
            }
        }

        rows = rows.OrderBy(r => r.GetExtra("source"), StringComparer.Ordinal).ToList();
        var manifest = new Manifest(rows, ExtraColumns.ToList(), outputFolder);
        var flow = Rules.Select(r => new IngestStep(r.Key, r.Description, counts[r.Key])).ToList();
        int accounted = flow.Where(s => s.Key != Found).Sum(s => s.Count);
        if (accounted != files.Count) throw new InvalidOperationException($"ingest flow does not add up: {accounted} files accounted for, {files.Count} found");

        // Images an earlier run wrote that this one does not keep (a source changed or left the folder) are removed,
        // so that the folder holds what a fresh run would write.
        var keptPaths = rows.Select(r => Path.GetFullPath(Path.Combine(outputFolder, r.Path))).ToHashSet(StringComparer.Ordinal);
        foreach (var old in previous.Values.Select(r => Path.GetFullPath(Path.Combine(outputFolder, r.Path))))
            if (!keptPaths.Contains(old) && IsInside(old, imagesFolder) && File.Exists(old)) File.Delete(old);

        var manifestPath = Path.Combine(outputFolder, ManifestFile);
        AtomicFile.Write(manifestPath, temp => ManifestCsv.Write(manifest, temp));
        AtomicFile.WriteAllText(Path.Combine(outputFolder, FlowFile), FlowCsv(flow));
        AtomicFile.WriteAllText(Path.Combine(outputFolder, UnreadableFile), UnreadableCsv(unreadable));
        return new IngestResult(flow, unreadable.OrderBy(u => u.Path, StringComparer.Ordinal).ToList(), manifest, rendered, reused, manifestPath);
    }

    static InvalidDataException Strict(List<UnreadableFile> unreadable) =>
        new($"{unreadable.Count} unreadable file(s), e.g. {unreadable[0].Path}: {unreadable[0].Reason}; manifest not written (--strict)");

    static void Exclude(Candidate c, string rule, Dictionary<string, int> counts)
    {
        c.Excluded = rule;
        counts[rule]++;
    }

    static bool IsInside(string path, string folder)
    {
        var relative = Path.GetRelativePath(folder, path);
        return relative == "." || !relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }

    /// <summary>
    /// Reads a file's dataset (pixel data parsed, not decoded) and applies the rules that look at one file: the header
    /// and the file's SHA-256 when it passes them, else the rule it fails, else (unreadable) the reason; all null when
    /// the file is not DICOM.
    /// </summary>
    static (Header? Header, string? Sha256, string? Rule, string? Reason) ReadHeader(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return (null, null, null, $"cannot be opened ({e.Message})"); }
        try
        {
            var file = DicomFileReader.Read(bytes, path);
            var d = file.Dataset;
            // The values the rules and the manifest read: one that cannot be parsed makes the file unreadable here,
            // with its reason, rather than failing later.
            var header = Header.Of(d);
            _ = (d.Rows, d.Columns);
            return FileRule(d) is { } rule ? (null, null, rule, null) : (header, Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), null, null);
        }
        catch (DicomReadException e)
        {
            bool notDicom = e.Reason.StartsWith("not a DICOM file", StringComparison.Ordinal);
            return (null, null, null, notDicom ? null : e.Reason);
        }
    }

    /// <summary>The first rule of those that look at one file that <paramref name="d"/> fails, or null.</summary>
    static string? FileRule(DicomDataset d)
    {
        var sopClass = d.SOPClassUID ?? "";
        if (!d.Contains(DicomTag.PixelData) || NonImageSopClassPrefixes.Any(p => sopClass.StartsWith(p, StringComparison.Ordinal))) return NonImage;
        if (!RadiographModalities.Contains(d.Modality?.ToUpperInvariant())) return NotRadiograph;
        if (d.BodyPartExamined is { } part && !ChestBodyParts.Contains(part.ToUpperInvariant())) return NotChest;
        if (d.ViewPosition is { } view && LateralViews.Contains(view.ToUpperInvariant())) return Lateral;
        if (d.Rows is { } rows && d.Columns is { } columns && (rows < RadiographReader.MinimumSide || columns < RadiographReader.MinimumSide)) return TooSmall;
        if (d.ImageType.Any(t => t.Equals("DERIVED", StringComparison.OrdinalIgnoreCase) || t.Equals("SECONDARY", StringComparison.OrdinalIgnoreCase))
            || d.GetString(DicomTag.DerivationDescription) is not null) return PostProcessed;
        if (d.ContentTime is null && d.AcquisitionTime is null) return NoContentTime;
        if (d.PatientID is null) return NoPatientId;
        if (Age(d) is < 18) return Minor;
        return null;
    }

    /// <summary>Age in years: Patient's Age ("045Y", "006M", "010W", "020D"; a bare number read as years), else from the birth date to the study date.</summary>
    public static double? Age(DicomDataset d)
    {
        if (d.PatientAge is { } text)
        {
            var t = text.Trim().ToUpperInvariant();
            char unit = t.Length > 0 && char.IsAsciiLetter(t[^1]) ? t[^1] : 'Y';
            var digits = char.IsAsciiLetter(unit) && t.Length > 0 && char.IsAsciiLetter(t[^1]) ? t[..^1] : t;
            if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                double? years = unit switch { 'Y' => n, 'M' => n / 12.0, 'W' => n * 7 / 365.25, 'D' => n / 365.25, _ => null };
                if (years is { } y) return Math.Round(y, 2);
            }
        }
        if (d.PatientBirthDate is { } birth && d.StudyDate is { } study && study >= birth)
        {
            int age = study.Year - birth.Year;
            if (study < birth.AddYears(age)) age--;
            return age;
        }
        return null;
    }

    /// <summary>Renders one image to its PNG (or reuses an earlier run's) and makes its manifest row.</summary>
    static (ManifestRow Row, bool Fresh) Ingest(Candidate c, string imagesFolder, string imagesSubfolder, IReadOnlyDictionary<string, ManifestRow> previous, string outputFolder)
    {
        var d = c.Header;
        var name = d.SopUid is { } uid && uid.All(ch => char.IsAsciiDigit(ch) || ch == '.') ? uid : "sha256-" + c.Sha256[..32];
        var png = Path.Combine(imagesFolder, name + ".png");
        var relative = Path.Combine(imagesSubfolder, name + ".png").Replace('\\', '/');
        if (previous.TryGetValue(Key(d.SopUid, c.Sha256), out var earlier) && earlier.Path == relative && earlier.GetExtra("source") == c.Source && File.Exists(png))
            return (earlier, false);

        var image = RadiographReader.RenderDicom(c.Path);
        AtomicFile.Write(png, temp => PngWriter.WriteGrey16(temp, image.Pixels, image.Width, image.Height));
        var record = image.Record;
        string Number(double? v) => v?.ToString("0.######", CultureInfo.InvariantCulture) ?? "";
        string Time(TimeOnly? t) => t?.ToString("HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture).TrimEnd('.') ?? "";
        var row = new ManifestRow
        {
            ImageId = name,
            Path = relative,
            PatientId = d.PatientId ?? "",
            Accession = d.Accession ?? "",
            StudyDate = d.StudyDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "",
            View = d.View ?? "",
            Age = d.Age,
            Sex = d.Sex ?? "",
            Extra = new Dictionary<string, string>
            {
                ["content_time"] = Time(d.ContentTime),
                ["acquisition_time"] = Time(d.AcquisitionTime),
                ["modality"] = d.Modality ?? "",
                ["body_part"] = d.BodyPart ?? "",
                ["sop_class_uid"] = d.SopClassUid ?? "",
                ["study_uid"] = d.StudyUid ?? "",
                ["series_uid"] = d.SeriesUid ?? "",
                ["sop_uid"] = d.SopUid ?? "",
                ["image_type"] = d.ImageType,
                ["photometric"] = d.Photometric ?? "",
                ["window_center"] = Number(record.WindowCenter),
                ["window_width"] = Number(record.WindowWidth),
                ["render"] = record.ToString(),
                ["source"] = c.Source,
                ["source_sha256"] = c.Sha256,
            },
        };
        return (row, true);
    }

    static string Key(string? sopUid, string sha256) => (sopUid ?? "") + "|" + sha256;

    /// <summary>The rows of an earlier run's manifest by SOP Instance UID and source hash (empty when there is none or it cannot be read).</summary>
    static IReadOnlyDictionary<string, ManifestRow> ReadPrevious(string outputFolder)
    {
        var path = Path.Combine(outputFolder, ManifestFile);
        if (!File.Exists(path)) return new Dictionary<string, ManifestRow>();
        try
        {
            var manifest = ManifestCsv.Read(path, new ValidationReport());
            if (!ExtraColumns.All(manifest.ExtraColumns.Contains)) return new Dictionary<string, ManifestRow>();
            return manifest.Rows
                .Select(r => r with { SourceLine = 0, Extra = ExtraColumns.ToDictionary(c => c, r.GetExtra) })
                .GroupBy(r => Key(r.GetExtra("sop_uid") is { Length: > 0 } u ? u : null, r.GetExtra("source_sha256")))
                .ToDictionary(g => g.Key, g => g.First());
        }
        catch (InvalidDataException) { return new Dictionary<string, ManifestRow>(); }
    }

    static string FlowCsv(IReadOnlyList<IngestStep> flow)
    {
        var text = new StringBuilder("step,rule,count,description\n");
        for (int i = 0; i < flow.Count; i++)
            text.Append(CultureInfo.InvariantCulture, $"{i},{flow[i].Key},{flow[i].Count},{CsvText.Field(flow[i].Description)}\n");
        return text.ToString();
    }

    static string UnreadableCsv(IEnumerable<UnreadableFile> files)
    {
        var text = new StringBuilder("path,reason\n");
        foreach (var f in files.OrderBy(f => f.Path, StringComparer.Ordinal)) text.Append(CultureInfo.InvariantCulture, $"{CsvText.Field(f.Path)},{CsvText.Field(f.Reason)}\n");
        return text.ToString();
    }
}
