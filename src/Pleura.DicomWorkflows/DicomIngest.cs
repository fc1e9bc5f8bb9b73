using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Pleura.Data;
using Pleura.Dicom;
using Pleura.Dicom.Rendering;
using Pleura.Files;
using Pleura.Imaging;

namespace Pleura.DicomWorkflows;

/// <summary>One step of an ingest's flow: how many files it took out (or, for the first and last, how many there were).</summary>
public sealed record IngestStep(string Key, string Description, int Count);

/// <summary>A file that could not be read, and why.</summary>
public sealed record UnreadableFile(string Path, string Reason);

/// <summary>
/// What an ingest found and did: the flow (counts per rule, in order), the corrections made to ingested images (not
/// exclusions: inversions), the unreadable files (real paths, for the console), the manifest, and the pseudonym key
/// used (null with <see cref="IngestOptions.KeepIdentifiers"/>).
/// </summary>
/// <param name="Flow">This batch's flow (the folder's flow.csv sums every batch).</param>
/// <param name="EarlierRows">Rows of the manifest from other batches (source folders ingested before), kept as they were.</param>
public sealed record IngestResult(IReadOnlyList<IngestStep> Flow, IReadOnlyList<IngestStep> Corrections, IReadOnlyList<UnreadableFile> Unreadable,
    Manifest Manifest, int Rendered, int Reused, string ManifestPath, string? KeyPath, bool KeyCreated, int Batch = 1, int EarlierRows = 0)
{
    public int Count(string key) => Flow.Concat(Corrections).Single(s => s.Key == key).Count;
}

/// <summary>How `pleura ingest` writes its outputs.</summary>
public sealed record IngestOptions
{
    /// <summary>Subfolder of the output folder for the 16-bit PNGs.</summary>
    public string ImagesSubfolder { get; init; } = "images";
    /// <summary>Stop (nothing written but the PNGs already rendered) when a file is unreadable.</summary>
    public bool Strict { get; init; }
    /// <summary>Write the real patient ids, accessions, UIDs and source paths instead of keyed pseudonyms.</summary>
    public bool KeepIdentifiers { get; init; }
    /// <summary>An existing pseudonym key file to use (it must exist).</summary>
    public string? KeyFile { get; init; }
    /// <summary>Where the pseudonym key is read from, or created when absent (default: beside the output folder, OUT.key).</summary>
    public string? KeyOut { get; init; }
    /// <summary>A negatives model (<see cref="NegativeDetector"/>): kept images it calls inverted are flipped back and counted.</summary>
    public string? NegativesModel { get; init; }
    /// <summary>Two images of one accession whose 64x64 renderings correlate at least this much (Pearson) are duplicates; the first is kept.</summary>
    public double NearIdenticalThreshold { get; init; } = DicomIngest.DefaultNearIdentical;
    /// <summary>Leave out lossy-compressed images (by default they are kept and marked in the lossy_compression column).</summary>
    public bool ExcludeLossy { get; init; }
}

/// <summary>
/// `pleura ingest` (METHOD section 2, step A): a DICOM export to 16-bit PNGs and a Pleura manifest, applying and
/// counting the exclusion rules. Every file of the tree is in exactly one bucket of the flow: not DICOM, unreadable,
/// excluded by the first rule (in the order of <see cref="Rules"/>) it fails, or ingested. Outputs are written
/// atomically. Each source folder is a batch of the output (<see cref="IngestFolder"/>): another folder adds its rows
/// to the manifest (an image whose SOP Instance UID or bytes are already there counts as a duplicate), a second run of
/// the same folder re-renders only images whose source changed and writes the same outputs as a fresh run, and a
/// folder with no readable DICOM file changes nothing.
/// </summary>
public static class DicomIngest
{
    public const string ManifestFile = "manifest.csv";
    public const string FlowFile = "flow.csv";
    public const string UnreadableFile = "unreadable.csv";
    public const string FlowHtmlFile = "flow.html";
    /// <summary>Each batch's own flow and unreadable list (flow-N.csv, unreadable-N.csv); the top-level files sum them.</summary>
    public const string BatchesFolder = "batches";
    public const double DefaultNearIdentical = 0.98;
    /// <summary>The side of the square grey thumbnails compared by the near-identical rule.</summary>
    public const int ThumbnailSide = 64;

    // Flow keys, in the order the rules are applied.
    public const string Found = "files_found";
    public const string NotDicom = "not_dicom";
    public const string Unreadable = "unreadable";
    public const string NonImage = FrontalChestRadiograph.NonImage;
    public const string NotRadiograph = FrontalChestRadiograph.NotRadiograph;
    public const string NotChest = FrontalChestRadiograph.NotChest;
    public const string Lateral = FrontalChestRadiograph.Lateral;
    public const string NotGrey = FrontalChestRadiograph.NotGrey;
    public const string TooSmall = "too_small";
    public const string PostProcessed = "post_processed";
    public const string LossyExcluded = "lossy_compressed";
    public const string NoContentTime = "no_content_time";
    public const string NoPatientId = "no_patient_id";
    public const string Minor = "under_18";
    public const string Duplicate = "duplicate";
    public const string NearIdentical = "near_identical";
    public const string SeveralAcquisitionTimes = "several_acquisition_times";
    public const string NotFirstInAccession = "not_first_in_accession";
    public const string Ingested = "ingested";
    public const string InvertedByAttributes = "inverted_by_attributes";
    public const string InvertedByModel = "inverted_by_model";
    public const string LossyKept = "lossy_kept";

    /// <summary>The rules with their descriptions, in the order they are applied.</summary>
    public static readonly IReadOnlyList<(string Key, string Description)> Rules =
    [
        (Found, "files found (DICOMDIR index files ignored)"),
        (NotDicom, "not DICOM (no 'DICM' marker, no dataset at the start)"),
        (Unreadable, "unreadable (header or pixel data; reasons in unreadable.csv)"),
        (NonImage, "non-image or document object (SR, PDF, presentation state...; no pixel data)"),
        (NotRadiograph, "modality not a radiograph (CR, DX, DR, RG) or not given"),
        (NotChest, "body part examined given and not CHEST / THORAX / LUNG / PORT CHEST"),
        (Lateral, "lateral view (view position LL, RL, LAT...): the grades are read on frontal images"),
        (NotGrey, "not a grey image (photometric interpretation given and not MONOCHROME1 / MONOCHROME2)"),
        (TooSmall, $"smaller than {RadiographReader.MinimumSide}x{RadiographReader.MinimumSide} pixels"),
        (PostProcessed, "post-processed: Image Type SECONDARY, or DERIVED, or a Derivation Description or Code, for a reason other than compression (lossless compression never excludes)"),
        (LossyExcluded, "lossy-compressed (Lossy Image Compression 01 or a lossy transfer syntax), left out because --exclude-lossy was given"),
        (NoContentTime, "no Content Time (nor Acquisition Time)"),
        (NoPatientId, "no Patient ID (patient-level splits cannot place the image)"),
        (Minor, "patient under 18 (Patient's Age, else birth date and study date)"),
        (Duplicate, "duplicate (same SOP Instance UID or same file content as an earlier file)"),
        (NearIdentical, $"post-processed duplicate: its {ThumbnailSide}x{ThumbnailSide} rendering correlates with an earlier image of its accession at or above the threshold"),
        (SeveralAcquisitionTimes, "accession with several acquisition times (all its images)"),
        (NotFirstInAccession, "not the first image of its accession (by content time)"),
        (Ingested, "ingested"),
    ];

    /// <summary>Changes made to ingested images, and what they carry (each image counted once per kind), after the exclusions.</summary>
    public static readonly IReadOnlyList<(string Key, string Description)> CorrectionRules =
    [
        (InvertedByAttributes, "inverted to read as MONOCHROME2 by the attributes (MONOCHROME1, Presentation LUT Shape INVERSE)"),
        (InvertedByModel, "negative image (attributes say nothing) flipped back by the negatives model (--negatives)"),
        (LossyKept, "kept though lossy-compressed (lossy_compression = yes in the manifest; --exclude-lossy leaves them out)"),
    ];

    /// <summary>The extra manifest columns an ingest writes, after the standard ones.</summary>
    public static readonly IReadOnlyList<string> ExtraColumns =
    [
        "content_time", "acquisition_time", "modality", "body_part", "sop_class_uid", "study_uid", "series_uid", "sop_uid",
        "image_type", "lossy_compression", "photometric", "window_center", "window_width", "render", "inversion", "negatives_check", "source", "source_sha256", "batch",
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
        string? SopUid, string ImageType, bool Lossy, string? Photometric, int? InstanceNumber)
    {
        public static Header Of(DicomDataset d, bool lossy) => new(d.PatientID, d.AccessionNumber, d.StudyDate, d.ContentTime, d.AcquisitionTime,
            d.ViewPosition, DicomIngest.Age(d), d.PatientSex, d.Modality, d.BodyPartExamined, d.SOPClassUID, d.StudyInstanceUID, d.SeriesInstanceUID,
            d.SOPInstanceUID, string.Join('\\', d.ImageType), lossy, d.PhotometricInterpretation, d.GetInt(InstanceNumberTag));
    }

    /// <summary>A file that passed the rules that look at one file at a time.</summary>
    sealed record Candidate(string Path, string Source, string Sha256, Header Header)
    {
        public string? Excluded { get; set; }
        public string GroupKey => Header.Accession is { } a ? "accession:" + a
            : Header.StudyUid is { } s ? "study:" + s : "file:" + Source;
        public TimeOnly? Time => Header.ContentTime ?? Header.AcquisitionTime;
    }

    /// <summary>An ingest with the default <see cref="IngestOptions"/> but for the images subfolder and --strict.</summary>
    public static IngestResult Run(string folder, string outputFolder, string imagesSubfolder, bool strict = false,
        Action<int, int>? progress = null, CancellationToken cancel = default) =>
        Run(folder, outputFolder, new IngestOptions { ImagesSubfolder = imagesSubfolder, Strict = strict }, progress, cancel);

    /// <param name="progress">Called with (steps done, total steps); a run takes two steps per file (header, then rendering).</param>
    /// <exception cref="InvalidDataException">With <see cref="IngestOptions.Strict"/>, when a file is unreadable (nothing is written then but the PNGs already rendered).</exception>
    public static IngestResult Run(string folder, string outputFolder, IngestOptions? options = null,
        Action<int, int>? progress = null, CancellationToken cancel = default)
    {
        options ??= new IngestOptions();
        var imagesSubfolder = options.ImagesSubfolder;
        bool strict = options.Strict;
        folder = Path.GetFullPath(folder);
        outputFolder = Path.GetFullPath(outputFolder);
        if (imagesSubfolder.Length == 0 || Path.IsPathRooted(imagesSubfolder) || imagesSubfolder.Split('/', '\\').Contains(".."))
            throw new ArgumentException($"--images-subfolder must be a relative folder inside the output folder, not '{imagesSubfolder}'");
        if (IsInside(outputFolder, folder))
            throw new ArgumentException($"the output folder {outputFolder} is inside the DICOM folder {folder}; choose one outside it");
        if (options.NearIdenticalThreshold is not (> 0 and <= 1))
            throw new ArgumentException($"--near-identical must be a correlation in (0, 1], not {options.NearIdenticalThreshold}");
        var files = Files(folder);
        // The key first: a bad key file, or another key than the output's, stops the run before any work.
        Pseudonyms? key = null;
        string? keyPath = null;
        bool keyCreated = false;
        if (!options.KeepIdentifiers) (key, keyPath, keyCreated) = Pseudonyms.ForIngest(outputFolder, options.KeyFile, options.KeyOut);
        var output = IngestFolder.Open(outputFolder, folder, key?.KeyId);
        int batch = output.Batch(folder);
        string Uid(string uid) => key is null ? uid : key.Uid(uid);
        using var negatives = options.NegativesModel is { } model ? NegativeDetector.Load(model) : null;
        var writer = new RowWriter(key, negatives, batch);

        int total = 2 * Math.Max(files.Count, 1);
        var counts = Rules.Concat(CorrectionRules).ToDictionary(r => r.Key, _ => 0);
        counts[Found] = files.Count;
        var unreadable = new List<UnreadableFile>();
        var candidates = new List<Candidate>();

        // 1. Headers, file by file: the rules that need one file only.
        for (int i = 0; i < files.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var path = files[i];
            var source = Path.GetRelativePath(folder, path).Replace('\\', '/');
            var (header, sha, rule, why) = ReadHeader(path, options.ExcludeLossy);
            if (header is not null) candidates.Add(new Candidate(path, source, sha!, header));
            else if (rule is not null) counts[rule]++;
            else if (why is null) counts[NotDicom]++;
            else { counts[Unreadable]++; unreadable.Add(new UnreadableFile(source, why)); }
            progress?.Invoke(i + 1, total);
        }
        if (strict && unreadable.Count > 0) throw Strict(unreadable);
        // A source with no readable DICOM file (an empty folder, an unmounted share) is a mistake, not an empty batch.
        if (candidates.Count == 0 && counts.Where(c => c.Key is not (Found or NotDicom or Unreadable)).All(c => c.Value == 0))
            throw new InvalidDataException(files.Count == 0 ? $"{folder} holds no files; nothing ingested, {outputFolder} unchanged"
                : $"none of the {files.Count} file(s) in {folder} is a readable DICOM file ({counts[NotDicom]} not DICOM, {counts[Unreadable]} unreadable" +
                  (unreadable.Count > 0 ? $", e.g. {unreadable[0].Path}: {unreadable[0].Reason}" : "") + $"); nothing ingested, {outputFolder} unchanged");

        // 2. Duplicates: the same SOP instance or the same bytes as an earlier file (in path order) or as a row of
        // another batch already in the output.
        var allPrevious = ReadPrevious(outputFolder);
        var earlier = allPrevious.Where(r => r.GetExtra("batch") != BatchText(batch)).ToList();
        var previous = allPrevious.Where(r => r.GetExtra("batch") == BatchText(batch))
            .GroupBy(r => Key(r.GetExtra("sop_uid") is { Length: > 0 } u ? u : null, r.GetExtra("source_sha256"))).ToDictionary(g => g.Key, g => g.First());
        var seenUids = earlier.Select(r => r.GetExtra("sop_uid")).Where(u => u.Length > 0).ToHashSet(StringComparer.Ordinal);
        var seenHashes = earlier.Select(r => r.GetExtra("source_sha256")).ToHashSet(StringComparer.Ordinal);
        foreach (var c in candidates)
        {
            bool newUid = c.Header.SopUid is not { } uid || seenUids.Add(Uid(uid));
            bool newBytes = seenHashes.Add(c.Sha256);
            if (!newUid || !newBytes) Exclude(c, Duplicate, counts);
        }

        // 3. Accessions: near-identical renderings are duplicates; several acquisition times (among the rest) drop the
        // accession; otherwise its first readable image is kept.
        var imagesFolder = Path.Combine(outputFolder, imagesSubfolder);
        // PNGs half-written by an ingest that was killed (SIGKILL, a power cut) are not the output of any run.
        AtomicFile.RemoveAbandoned(imagesFolder);
        var rows = new List<ManifestRow>();
        int rendered = 0, reused = 0, done = 0;
        var groups = candidates.Where(c => c.Excluded is null).GroupBy(c => c.GroupKey, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        int remaining = groups.Sum(g => g.Count());
        foreach (var group in groups)
        {
            var ordered = group.OrderBy(c => c.Time).ThenBy(c => c.Header.InstanceNumber ?? int.MaxValue).ThenBy(c => c.Source, StringComparer.Ordinal).ToList();
            if (ordered.Count > 1)
            {
                var thumbnails = new List<float[]>();
                foreach (var c in ordered)
                {
                    cancel.ThrowIfCancellationRequested();
                    float[] thumbnail;
                    try { thumbnail = Thumbnail(c.Path); }
                    catch (ImageReadException e)
                    {
                        Exclude(c, Unreadable, counts);
                        unreadable.Add(new UnreadableFile(c.Source, e.Reason));
                        if (strict) throw Strict(unreadable);
                        progress?.Invoke(files.Count + (int)((long)++done * files.Count / Math.Max(remaining, 1)), total);
                        continue;
                    }
                    if (thumbnails.Any(t => Correlation(t, thumbnail) >= options.NearIdenticalThreshold))
                    {
                        Exclude(c, NearIdentical, counts);
                        progress?.Invoke(files.Count + (int)((long)++done * files.Count / Math.Max(remaining, 1)), total);
                    }
                    else thumbnails.Add(thumbnail);
                }
                ordered = ordered.Where(c => c.Excluded is null).ToList();
            }
            var acquisitionTimes = ordered.Select(c => c.Header.AcquisitionTime).OfType<TimeOnly>().Distinct().Count();
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
                        var (row, fresh) = writer.Ingest(c, imagesFolder, imagesSubfolder, previous);
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

        // Corrections, counted from the rows (a reused row keeps what the run that rendered it did).
        counts[InvertedByAttributes] = rows.Count(r => r.GetExtra("inversion").Length > 0);
        counts[InvertedByModel] = rows.Count(r => r.GetExtra("negatives_check").EndsWith(RowWriter.FlippedBack, StringComparison.Ordinal));
        counts[LossyKept] = rows.Count(r => r.GetExtra("lossy_compression") == "yes");

        var batchRows = rows.Count;
        rows = earlier.Concat(rows).OrderBy(r => int.Parse(r.GetExtra("batch"), CultureInfo.InvariantCulture)).ThenBy(r => r.GetExtra("source"), StringComparer.Ordinal).ToList();
        var manifest = new Manifest(rows, ExtraColumns.ToList(), outputFolder);
        var flow = Rules.Select(r => new IngestStep(r.Key, r.Description, counts[r.Key])).ToList();
        var corrections = CorrectionRules.Select(r => new IngestStep(r.Key, r.Description, counts[r.Key])).ToList();
        int accounted = flow.Where(s => s.Key != Found).Sum(s => s.Count);
        if (accounted != files.Count) throw new InvalidOperationException($"ingest flow does not add up: {accounted} files accounted for, {files.Count} found");

        // Images an earlier run of this batch wrote that this one does not keep (a source changed or left the folder)
        // are removed, so that the folder holds what a fresh run would write; other batches' images stay.
        var keptPaths = rows.Select(r => Path.GetFullPath(Path.Combine(outputFolder, r.Path))).ToHashSet(StringComparer.Ordinal);
        foreach (var old in previous.Values.Select(r => Path.GetFullPath(Path.Combine(outputFolder, r.Path))))
            if (!keptPaths.Contains(old) && IsInside(old, imagesFolder) && File.Exists(old)) File.Delete(old);

        var manifestPath = Path.Combine(outputFolder, ManifestFile);
        // unreadable.csv names files by their pseudonym too (folder names of an export often hold names or ids).
        var listed = unreadable.Select(u => key is null ? u : new UnreadableFile(key.Source(u.Path), Scrub(u.Reason, folder, u.Path))).ToList();
        // The key is saved only now that every image is rendered: a failed or refused ingest leaves none behind.
        if (keyCreated) key!.Save(keyPath!);
        var batches = new IngestBatchFiles(outputFolder);
        batches.KeepLegacy(FlowFile, UnreadableFile);
        batches.Save(batch, FlowCsv(flow, corrections), UnreadableCsv(listed));
        output.Write();
        var (allFlow, allCorrections) = batches.SumFlows(Rules, CorrectionRules);
        AtomicFile.Write(manifestPath, temp => ManifestCsv.Write(manifest, temp));
        AtomicFile.WriteAllText(Path.Combine(outputFolder, FlowFile), FlowCsv(allFlow, allCorrections));
        AtomicFile.WriteAllText(Path.Combine(outputFolder, FlowHtmlFile), FlowHtml(allFlow, allCorrections, options.NearIdenticalThreshold, negatives?.Id, key?.KeyId));
        AtomicFile.WriteAllText(Path.Combine(outputFolder, UnreadableFile), batches.UnreadableUnion());
        return new IngestResult(flow, corrections, unreadable.OrderBy(u => u.Path, StringComparer.Ordinal).ToList(), manifest, rendered, reused, manifestPath, keyPath, keyCreated,
            batch, rows.Count - batchRows);
    }

    /// <summary>A reason with the file's path (absolute or relative to the export) taken out, for a pseudonymised listing.</summary>
    static string Scrub(string reason, string folder, string source) =>
        reason.Replace(Path.Combine(folder, source), "<file>", StringComparison.Ordinal).Replace(source, "<file>", StringComparison.Ordinal);

    /// <summary>The rendering of a DICOM file as a <see cref="ThumbnailSide"/>-pixel square, grey in [0, 1].</summary>
    static float[] Thumbnail(string path)
    {
        var image = RadiographReader.RenderDicom(path);
        return RadiographReader.Resize16(image.Pixels, image.Width, image.Height, ThumbnailSide, ThumbnailSide, path).Pixels;
    }

    /// <summary>Pearson correlation of two equal-length images (0 when either is flat).</summary>
    public static double Correlation(float[] a, float[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"images of {a.Length} and {b.Length} pixels cannot be compared");
        double ma = 0, mb = 0;
        for (int i = 0; i < a.Length; i++) { ma += a[i]; mb += b[i]; }
        ma /= a.Length; mb /= b.Length;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db; saa += da * da; sbb += db * db;
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.Sqrt(saa * sbb);
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
    static (Header? Header, string? Sha256, string? Rule, string? Reason) ReadHeader(string path, bool excludeLossy)
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
            var compression = CompressionHistory.Of(d, file.TransferSyntax);
            var header = Header.Of(d, compression.Lossy);
            _ = (d.Rows, d.Columns);
            return FileRule(d, compression, excludeLossy) is { } rule ? (null, null, rule, null) : (header, Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), null, null);
        }
        catch (DicomReadException e)
        {
            bool notDicom = e.Reason.StartsWith("not a DICOM file", StringComparison.Ordinal);
            return (null, null, null, notDicom ? null : e.Reason);
        }
    }

    /// <summary>The first rule of those that look at one file that <paramref name="d"/> fails, or null.</summary>
    static string? FileRule(DicomDataset d, CompressionHistory compression, bool excludeLossy)
    {
        // The same rule grade-study and the server apply to what they are asked to grade.
        if (!d.Contains(DicomTag.PixelData)) return NonImage;
        if (FrontalChestRadiograph.Check(d) is { } refused) return refused.Rule;
        if (d.Rows is { } rows && d.Columns is { } columns && (rows < RadiographReader.MinimumSide || columns < RadiographReader.MinimumSide)) return TooSmall;
        if (compression.PostProcessed) return PostProcessed;
        if (compression.Lossy && excludeLossy) return LossyExcluded;
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

    /// <summary>
    /// Renders kept images to their PNGs (or reuses an earlier run's) and makes their manifest rows: identifiers
    /// replaced by pseudonyms under the key (none: the real values), negatives flipped back when a model is given.
    /// </summary>
    sealed class RowWriter(Pseudonyms? key, NegativeDetector? negatives, int batch)
    {
        public const string FlippedBack = "inverted back";

        string? Id(string? value, Func<Pseudonyms, Func<string, string>> pseudonym) =>
            value is null ? null : key is null ? value : pseudonym(key)(value);

        public (ManifestRow Row, bool Fresh) Ingest(Candidate c, string imagesFolder, string imagesSubfolder, IReadOnlyDictionary<string, ManifestRow> previous)
        {
            var d = c.Header;
            var sopUid = Id(d.SopUid, k => k.Uid);
            var source = key is null ? c.Source : key.Source(c.Source);
            var name = sopUid is { } uid && uid.All(ch => char.IsAsciiDigit(ch) || ch == '.') ? uid : "sha256-" + c.Sha256[..32];
            var png = Path.Combine(imagesFolder, name + ".png");
            var relative = Path.Combine(imagesSubfolder, name + ".png").Replace('\\', '/');
            // An earlier run's image is reused when it came from the same file and was checked by the same negatives model (or neither was).
            string checkedBy = negatives is null ? "" : $"model {negatives.Id}:";
            if (previous.TryGetValue(Key(sopUid, c.Sha256), out var earlier) && earlier.Path == relative && earlier.GetExtra("source") == source && File.Exists(png)
                && (negatives is null ? earlier.GetExtra("negatives_check").Length == 0 : earlier.GetExtra("negatives_check").StartsWith(checkedBy, StringComparison.Ordinal)))
                return (earlier, false);

            var image = RadiographReader.RenderDicom(c.Path);
            var check = "";
            var pixels = image.Pixels;
            if (negatives is not null)
            {
                double p = negatives.ProbabilityInverted(image, c.Path);
                bool flip = p > 0.5;
                check = $"{checkedBy} p(inverted)={p.ToString("0.000", CultureInfo.InvariantCulture)}" + (flip ? ", " + FlippedBack : ", kept");
                if (flip) pixels = pixels.Select(v => (ushort)(65535 - v)).ToArray();
            }
            AtomicFile.Write(png, temp => PngWriter.WriteGrey16(temp, pixels, image.Width, image.Height));
            var record = image.Record;
            string Number(double? v) => v?.ToString("0.######", CultureInfo.InvariantCulture) ?? "";
            string Time(TimeOnly? t) => t?.ToString("HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture).TrimEnd('.') ?? "";
            var row = new ManifestRow
            {
                ImageId = name,
                Path = relative,
                PatientId = Id(d.PatientId, k => k.Patient) ?? "",
                Accession = Id(d.Accession, k => k.Accession) ?? "",
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
                    ["study_uid"] = Id(d.StudyUid, k => k.Uid) ?? "",
                    ["series_uid"] = Id(d.SeriesUid, k => k.Uid) ?? "",
                    ["sop_uid"] = sopUid ?? "",
                    ["image_type"] = d.ImageType,
                    ["lossy_compression"] = d.Lossy ? "yes" : "no",
                    ["photometric"] = d.Photometric ?? "",
                    ["window_center"] = Number(record.WindowCenter),
                    ["window_width"] = Number(record.WindowWidth),
                    ["render"] = record.ToString(),
                    ["inversion"] = record.Inverted ? record.Inversion : "",
                    ["negatives_check"] = check,
                    ["source"] = source,
                    ["source_sha256"] = c.Sha256,
                    ["batch"] = BatchText(batch),
                },
            };
            return (row, true);
        }
    }

    static string Key(string? sopUid, string sha256) => (sopUid ?? "") + "|" + sha256;

    static string BatchText(int batch) => batch.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The rows of the output's manifest, every batch (none when there is none). Rows written before batches were
    /// recorded are batch 1. A manifest that is there but cannot be read as an ingest's stops the run: replacing it
    /// would lose its rows.
    /// </summary>
    static List<ManifestRow> ReadPrevious(string outputFolder)
    {
        var path = Path.Combine(outputFolder, ManifestFile);
        if (!File.Exists(path)) return new List<ManifestRow>();
        var manifest = ManifestCsv.Read(path, new ValidationReport());
        var missing = ExtraColumns.Where(c => c != "batch" && !manifest.ExtraColumns.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{path} is not an ingest's manifest (no column {string.Join(", ", missing)}); ingest into a new output folder");
        return manifest.Rows
            .Select(r => r with { SourceLine = 0, Extra = ExtraColumns.ToDictionary(c => c, c => c == "batch" && r.GetExtra(c).Length == 0 ? "1" : r.GetExtra(c)) })
            .ToList();
    }

    /// <summary>flow.html: the flow as a CONSORT-style diagram, its counts, the corrections and how the run was set.</summary>
    /// <param name="keyId">The pseudonym key's <see cref="Pseudonyms.KeyId"/>; null when identifiers were kept.</param>
    public static string FlowHtml(IReadOnlyList<IngestStep> flow, IReadOnlyList<IngestStep> corrections, double nearIdentical, string? negativesModel, string? keyId)
    {
        static Pleura.Reporting.FlowBox Box(IngestStep s) => new(s.Key, s.Description, s.Count);
        var notes = new[]
        {
            $"Near-identical rule: Pearson correlation of {ThumbnailSide}x{ThumbnailSide} renderings at or above {nearIdentical.ToString("0.###", CultureInfo.InvariantCulture)} within an accession.",
            negativesModel is null ? "No negatives model was given (--negatives): only the attributes decided inversions."
                : $"Negatives model {negativesModel}: images it gives p(inverted) > 0.5 were flipped back.",
            keyId is not null ? $"Patient ids, accessions, UIDs and source paths are keyed pseudonyms (HMAC-SHA256) under the key with id {keyId}; the key is kept apart from this folder."
                : "Identifiers were kept as in the source files (--keep-identifiers).",
        };
        return Pleura.Reporting.ConsortFlow.Page("DICOM ingest: flow of files", flow.Select(Box).ToList(), corrections.Select(Box).ToList(), notes);
    }

    /// <summary>
    /// flow.csv: one line per rule in order (kind "found" for the files found, "excluded" for each rule, "ingested"),
    /// then the corrections made to ingested images (kind "corrected", not part of the sum).
    /// </summary>
    public static string FlowCsv(IReadOnlyList<IngestStep> flow, IReadOnlyList<IngestStep> corrections)
    {
        var text = new StringBuilder("step,rule,count,kind,description\n");
        var all = flow.Concat(corrections).ToList();
        for (int i = 0; i < all.Count; i++)
        {
            var kind = i >= flow.Count ? "corrected" : all[i].Key == Found ? "found" : all[i].Key == Ingested ? "ingested" : "excluded";
            text.Append(CultureInfo.InvariantCulture, $"{i},{all[i].Key},{all[i].Count},{kind},{CsvText.Field(all[i].Description)}\n");
        }
        return text.ToString();
    }

    internal static string UnreadableCsv(IEnumerable<UnreadableFile> files)
    {
        var text = new StringBuilder("path,reason\n");
        foreach (var f in files.OrderBy(f => f.Path, StringComparer.Ordinal)) text.Append(CultureInfo.InvariantCulture, $"{CsvText.Field(f.Path)},{CsvText.Field(f.Reason)}\n");
        return text.ToString();
    }
}
