using System.Globalization;
using System.Security.Cryptography;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Dicom;
using Pleura.Dicom.Results;
using Pleura.Dicom.Writing;
using Pleura.DicomWeb;
using Pleura.Explainability;
using Pleura.Files;
using Pleura.Grading;
using Pleura.Imaging;
using Pleura.Imaging.Roi;
using Pleura.Networks.Weights;

namespace Pleura.DicomWorkflows;

/// <summary>How to grade a study: with Grad-CAM overlays as Secondary Capture images, a local copy folder, bf16.</summary>
public sealed record StudyGradingOptions
{
    public bool Overlay { get; init; }

    /// <summary>Where to keep a copy of the objects stored (sr/ and sc/ subfolders); null keeps none.</summary>
    public string? OutputFolder { get; init; }

    public bool BFloat16 { get; init; }

    /// <summary>The lung U-Net, for runs trained on a lung ROI (as `predict --lungs`).</summary>
    public string? LungModel { get; init; }

    /// <summary>The series numbers of the new SR and SC series (high, so viewers list them after the acquisitions).</summary>
    public int ReportSeriesNumber { get; init; } = 9901;
    public int OverlaySeriesNumber { get; init; } = 9902;
}

/// <summary>One lung of one graded image.</summary>
public sealed record LungGrade(string Side, int Grade, IReadOnlyList<float> Probabilities, double ExpectedGrade);

/// <summary>An image of the study that was graded, and the UIDs of the report (and overlay) written for it.</summary>
public sealed record GradedStudyImage(string SeriesUid, string SopInstanceUid, LungGrade Left, LungGrade Right, string ReportUid, string? OverlayUid);

/// <summary>An instance of the study that was not graded, and why (not an image, not a chest radiograph, lateral, unreadable).</summary>
public sealed record SkippedStudyInstance(string SopInstanceUid, string Reason);

/// <summary>An object stored back into the study.</summary>
public sealed record StoredStudyObject(string Kind, string SeriesUid, string SopInstanceUid, string SourceInstanceUid, string? LocalPath);

public sealed record StudyGradingResult(string StudyUid, IReadOnlyList<GradedStudyImage> Graded, IReadOnlyList<SkippedStudyInstance> Skipped,
    IReadOnlyList<StoredStudyObject> Stored);

/// <summary>
/// Grades image files with a run's models: the answers (with Grad-CAM heatmaps when <c>explain</c>) and the files that
/// could not be read. `grade-study` loads the models for one call; the server passes its loaded models and batch queue.
/// </summary>
public delegate Task<(IReadOnlyList<ImageGrades> Graded, IReadOnlyList<ImageFailure> Failures)> StudyImageGrader(
    IReadOnlyList<string> files, bool explain, CancellationToken cancel);

/// <summary>The study UID is not known to the PACS.</summary>
public sealed class StudyNotFoundException(string message) : Exception(message);

/// <summary>
/// `pleura grade-study` (and the server's /v1/studies/{uid}): finds a study's instances on a PACS (QIDO-RS), retrieves
/// them (WADO-RS), grades each frontal chest radiograph with a run's left and right models (a
/// <see cref="StudyImageGrader"/> over <see cref="GradingModels"/>, as `pleura predict` grades), and stores back into the same study one TID 1500
/// measurement report per image and, when asked, a Secondary Capture of its Grad-CAM overlay (STOW-RS). Instances
/// that are not gradable are listed with the reason.
/// </summary>
public static class StudyGrading
{
    public static async Task<StudyGradingResult> GradeAsync(DicomWebClient pacs, string runFolder, string studyUid, StudyGradingOptions options,
        CancellationToken cancel = default)
    {
        using var models = GradingModels.Load(runFolder, options.BFloat16, options.LungModel);
        return await GradeAsync(pacs, Device(runFolder), Grader(models), studyUid, options, cancel).ConfigureAwait(false);
    }

    /// <summary>A grader over loaded models, in this thread: files decoded in parallel, then one batch.</summary>
    public static StudyImageGrader Grader(GradingModels models) => (files, explain, cancel) =>
    {
        var (decoded, failures) = models.DecodeAll(files, ErrorPolicy.Continue, cancel);
        var graded = models.Grade(decoded, explain);
        return Task.FromResult<(IReadOnlyList<ImageGrades>, IReadOnlyList<ImageFailure>)>((graded, failures));
    };

    /// <param name="device">The run as the reports' observer (<see cref="Device"/>): it hashes the checkpoints, so a
    /// server computes it once per run, not per study.</param>
    public static async Task<StudyGradingResult> GradeAsync(DicomWebClient pacs, ObserverDevice device, StudyImageGrader grade, string studyUid,
        StudyGradingOptions options, CancellationToken cancel = default)
    {
        if (string.IsNullOrWhiteSpace(studyUid)) throw new ArgumentException("the study UID is empty");
        var listed = await pacs.SearchInstancesAsync(studyUid, cancel: cancel).ConfigureAwait(false);
        if (listed.Count == 0) throw new StudyNotFoundException($"study {studyUid} is not on the PACS at {pacs.Root} (QIDO-RS found no instances)");
        // Series that are not radiographs by their modality (earlier reports and overlays, CT, ...) are not retrieved.
        var skipped = new List<SkippedStudyInstance>();
        var retrieved = new List<byte[]>();
        foreach (var series in await pacs.SearchSeriesAsync(studyUid, cancel).ConfigureAwait(false))
        {
            var seriesUid = series.SeriesInstanceUID;
            if (seriesUid is null) continue;
            var modality = series.Modality?.ToUpperInvariant();
            if (modality is not null && !FrontalChestRadiograph.Modalities.Contains(modality))
            {
                skipped.AddRange(listed.Where(i => i.SeriesInstanceUID == seriesUid)
                    .Select(i => new SkippedStudyInstance(i.SOPInstanceUID ?? "(unknown)", FrontalChestRadiograph.NotARadiograph(modality))));
                continue;
            }
            retrieved.AddRange(await pacs.RetrieveSeriesAsync(studyUid, seriesUid, cancel).ConfigureAwait(false));
        }

        var work = Path.Combine(Path.GetTempPath(), "pleura-study-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        try
        {
            var candidates = new List<(string File, DicomDataset Header)>();
            foreach (var (bytes, index) in retrieved.Select((b, i) => (b, i)))
            {
                DicomDataset header;
                try { header = DicomFileReader.Read(bytes, $"instance {index + 1} of study {studyUid}", readPixelData: false).Dataset; }
                catch (DicomReadException e) { skipped.Add(new SkippedStudyInstance($"(instance {index + 1})", "unreadable: " + e.Reason)); continue; }
                var uid = header.SOPInstanceUID ?? $"(instance {index + 1})";
                if (RadiographCheck.WhyNot(header) is { } reason) { skipped.Add(new SkippedStudyInstance(uid, reason)); continue; }
                var file = Path.Combine(work, FileNames.Safe(uid) + ".dcm");
                await File.WriteAllBytesAsync(file, bytes, cancel).ConfigureAwait(false);
                candidates.Add((file, header));
            }

            var graded = new List<GradedStudyImage>();
            var stored = new List<(StoredStudyObject Object, DicomDataset Dataset)>();
            if (candidates.Count > 0)
            {
                var (answers, failures) = await grade(candidates.Select(c => c.File).ToList(), false, cancel).ConfigureAwait(false);
                failures = failures.Concat(answers.Where(a => a.Failure is not null).Select(a => new ImageFailure(a.Id, a.Failure!))).ToList();
                var predictions = answers.SelectMany(a => a.Sides).ToList();
                foreach (var f in failures)
                {
                    var header = candidates.First(c => c.File == f.Path).Header;
                    skipped.Add(new SkippedStudyInstance(header.SOPInstanceUID ?? f.Path, "unreadable: " + f.Reason));
                }
                var created = DateTime.Now;
                var reportSeries = SeriesPlacement.NewSeries(options.ReportSeriesNumber, "Pleura lung opacity grades", created);
                var overlaySeries = SeriesPlacement.NewSeries(options.OverlaySeriesNumber, "Pleura Grad-CAM overlays", created);
                var byImage = predictions.GroupBy(p => p.ImageId).ToDictionary(g => g.Key, g => g.ToList());
                var gradedFiles = candidates.Where(c => byImage.ContainsKey(c.File)).ToList();
                var overlays = options.Overlay ? await Overlays(grade, gradedFiles.Select(c => c.File).ToList(), byImage, cancel).ConfigureAwait(false) : null;
                int number = 0;
                foreach (var (file, header) in gradedFiles)
                {
                    number++;
                    var sides = byImage[file];
                    var left = sides.SingleOrDefault(p => p.Side == PatientSide.Left.Name());
                    var right = sides.SingleOrDefault(p => p.Side == PatientSide.Right.Name());
                    if (left is null || right is null)
                    {
                        skipped.Add(new SkippedStudyInstance(header.SOPInstanceUID!, "the run has a model for one lung only"));
                        continue;
                    }
                    var lungs = new[] { Measurement(right, LungSide.Right), Measurement(left, LungSide.Left) };
                    var report = MeasurementReport.Build(header, lungs, device, reportSeries with { InstanceNumber = number });
                    stored.Add((new StoredStudyObject("SR", reportSeries.SeriesInstanceUid, report.SOPInstanceUID!, header.SOPInstanceUID!, null), report));
                    string? overlayUid = null;
                    if (overlays is not null)
                    {
                        var (rgb, width, height) = overlays[file];
                        var capture = SecondaryCapture.Build(header, rgb, width, height, overlaySeries with { InstanceNumber = number },
                            $"Grad-CAM heatmap of {device.Name} over the image (not for diagnosis)");
                        overlayUid = capture.SOPInstanceUID!;
                        stored.Add((new StoredStudyObject("SC", overlaySeries.SeriesInstanceUid, overlayUid, header.SOPInstanceUID!, null), capture));
                    }
                    graded.Add(new GradedStudyImage(header.SeriesInstanceUID ?? "", header.SOPInstanceUID!, Lung(left), Lung(right), report.SOPInstanceUID!, overlayUid));
                }
            }

            var encoded = stored.Select(s => DicomFileWriter.ToBytes(s.Dataset)).ToList();
            var objects = stored.Select(s => s.Object).ToList();
            if (options.OutputFolder is { } folder)
                objects = objects.Select((o, i) =>
                {
                    var path = Path.Combine(folder, o.Kind.ToLowerInvariant(), FileNames.Safe(o.SopInstanceUid) + ".dcm");
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    AtomicFile.WriteAllBytes(path, encoded[i]);
                    return o with { LocalPath = path };
                }).ToList();
            if (encoded.Count > 0)
            {
                var result = await pacs.StoreAsync(encoded, studyUid, cancel).ConfigureAwait(false);
                if (result.Failed.Count > 0)
                    throw new DicomWebException(DicomWebFailure.Refused, $"the PACS at {pacs.Root} refused {result.Failed.Count} of {encoded.Count} objects: " +
                        string.Join(", ", result.Failed.Select(f => $"{f.SopInstanceUid} (reason {f.Reason?.ToString(CultureInfo.InvariantCulture) ?? "not given"})")));
            }
            return new StudyGradingResult(studyUid, graded, skipped, objects);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    static LungMeasurement Measurement(GradePrediction p, LungSide side) =>
        new(side, p.Predicted, p.Probabilities.Select(v => (double)v).ToList(), p.ExpectedGrade);

    static LungGrade Lung(GradePrediction p) => new(p.Side, p.Predicted, p.Probabilities, p.ExpectedGrade);

    /// <summary>
    /// The run as the report's device observer: named by its folder, the architecture of its models, and as version
    /// the start of the SHA-256 of both checkpoints, from which the device UID also follows (the same models, the same UID).
    /// </summary>
    public static ObserverDevice Device(string runFolder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var architectures = new List<string>();
        foreach (var side in Side.Both)
        {
            var path = GradingRun.CheckpointPath(runFolder, side);
            if (!File.Exists(path)) continue;
            hash.AppendData(File.ReadAllBytes(path));
            architectures.Add(Checkpoint.ReadInfo(path).Architecture);
        }
        var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
        var name = "Pleura grading run " + Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(runFolder)));
        return new ObserverDevice(DicomUid.FromName("pleura-model/" + digest), name, "Pleura", string.Join(", ", architectures.Distinct()), "sha256:" + digest[..16]);
    }

    /// <summary>
    /// Grad-CAM overlays of graded images (both sides' heatmaps averaged, mapped back through any ROI, the predicted lungs
    /// outlined when a lung U-Net is loaded), captioned with the grades stored in the report, as RGB.
    /// </summary>
    static async Task<Dictionary<string, (byte[] Rgb, int Width, int Height)>> Overlays(StudyImageGrader grade, IReadOnlyList<string> files,
        Dictionary<string, List<GradePrediction>> predictions, CancellationToken cancel)
    {
        var (explained, _) = await grade(files, true, cancel).ConfigureAwait(false);
        var result = new Dictionary<string, (byte[], int, int)>();
        foreach (var e in explained.Where(e => e.Heatmap is not null))
        {
            var p = predictions[e.Id];
            int Grade(PatientSide side) => p.First(x => x.Side == side.Name()).Predicted;
            result[e.Id] = Overlay.RenderRgb(e.Picture!, e.Heatmap!, e.Lungs, e.Size,
                [$"patient's right lung: grade {Grade(PatientSide.Right)}   left lung: grade {Grade(PatientSide.Left)}", "Grad-CAM heatmap (Pleura), not for diagnosis"],
                scale: Math.Max(1, 512 / e.Size));
        }
        return result;
    }
}

/// <summary>
/// Whether a DICOM instance is something the grader takes: the shared rule for a frontal chest radiograph
/// (<see cref="FrontalChestRadiograph"/>, the one ingest applies too), and one frame.
/// </summary>
public static class RadiographCheck
{
    /// <summary>Null when the instance can be graded, else the reason it cannot.</summary>
    public static string? WhyNot(DicomDataset header)
    {
        if (FrontalChestRadiograph.Check(header) is { } refused) return refused.Reason;
        if (header.NumberOfFrames > 1) return $"{header.NumberOfFrames} frames: the grader takes single-frame radiographs";
        return null;
    }
}
