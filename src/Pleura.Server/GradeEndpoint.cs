using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Pleura.Explainability;
using Pleura.Grading;
using Pleura.Imaging;
using Pleura.Imaging.Roi;

namespace Pleura.Server;

/// <summary>
/// <c>POST /v1/grade</c>: one image (PNG, JPEG, TIFF or DICOM; raw body or a multipart form's file) to per-lung grades,
/// class probabilities and expected grade, after the view check when the server has one; with <c>?heatmap=true</c>
/// also the Grad-CAM overlay as a PNG (base64). Decoding happens on the request's thread; the models run in the
/// <see cref="GradeQueue"/>'s worker, batched with other requests.
/// </summary>
public sealed partial class GradeEndpoint : IDisposable
{
    readonly ModelCatalogue _models;
    readonly GradeQueue _queue;
    readonly Uploads _uploads;
    readonly ILogger<GradeEndpoint> _log;
    // At most one decode per core at a time: more only makes them fight each other and the model worker for the cores.
    readonly SemaphoreSlim _decoders = new(Environment.ProcessorCount);

    public GradeEndpoint(ModelCatalogue models, GradeQueue queue, Uploads uploads, ILogger<GradeEndpoint> log)
    {
        _models = models;
        _queue = queue;
        _uploads = uploads;
        _log = log;
    }

    public async Task<IResult> Handle(HttpContext context, string? run, bool? heatmap)
    {
        var clock = Stopwatch.StartNew();
        var served = _models.Find(run) ?? throw new RequestRefusedException(StatusCodes.Status404NotFound,
            $"no run named '{run}'; this server has {string.Join(", ", _models.Runs.Select(r => r.Name))}");
        using var upload = await _uploads.Read(context.Request, context.RequestAborted).ConfigureAwait(false);
        await _decoders.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        (DecodedImage Image, GreyImage? ViewInput) decoded;
        try { decoded = Decode(upload, served); }
        finally { _decoders.Release(); }
        var (image, viewInput) = decoded;
        var outcome = await _queue.Grade(new GradeWork(served, image, viewInput, heatmap == true), context.RequestAborted).ConfigureAwait(false);
        object? view = outcome.View is { } v ? new { frontal_probability = Math.Round(v.FrontalProbability, 6), frontal = v.Frontal } : null;
        if (outcome.Grades is null)
            throw new RequestRefusedException(StatusCodes.Status422UnprocessableEntity,
                $"the image does not look frontal (P(frontal) = {outcome.View!.FrontalProbability:0.000}); the grader was trained on frontal radiographs only");
        var grades = outcome.Grades;
        if (grades.Failure is not null) throw new RequestRefusedException(StatusCodes.Status422UnprocessableEntity, $"{upload.Name}: {grades.Failure}");
        var body = new Dictionary<string, object?>
        {
            ["image"] = upload.Name,
            ["run"] = served.Name,
            ["view"] = view,
            ["sides"] = grades.Sides.Select(p => new
            {
                side = p.Side,
                grade = p.Predicted,
                expected_grade = Math.Round(p.ExpectedGrade, 6),
                probabilities = p.Probabilities.Select(x => Math.Round((double)x, 6)).ToArray(),
            }).ToList(),
            ["classes"] = served.Models.Sides[0].Info.Classes,
            ["lung_warning"] = grades.LungWarning,
        };
        if (served.Models.Unfinished.Count > 0)
        {
            body["unfinished_sides"] = served.Models.Unfinished;
            body["note"] = RunRecord.IncompleteNote(served.Models.Unfinished);
        }
        if (grades.Heatmap is { } heat)
            body["heatmap"] = new
            {
                overlay_png = Convert.ToBase64String(OverlayPng(grades, heat)),
                size = grades.Size,
                hcs = grades.Hcs is { } hcs ? Math.Round(hcs, 6) : (double?)null,
                hcs_note = grades.Hcs is null ? "HCS needs the lungs: start the server with a lung U-Net (--lungs MODEL)" : "share of the heatmap inside the predicted lungs",
            };
        body["elapsed_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds, 1);
        var summary = string.Join(" ", grades.Sides.Select(s => $"{s.Side}={s.Predicted}"));
        Graded(_log, upload.Name, served.Name, summary, clock.Elapsed.TotalMilliseconds);
        return Results.Json(body);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "graded {Image} with {Run}: {Grades} in {Milliseconds} ms")]
    static partial void Graded(ILogger logger, string image, string run, string grades, double milliseconds);

    /// <summary>The image at every size the run (and the view check) takes; an unreadable image is refused with the reader's reason.</summary>
    (DecodedImage Image, GreyImage? ViewInput) Decode(UploadedImage upload, ServedRun run)
    {
        try
        {
            var pixels = run.Models.Decode(upload.Path, upload.Name);
            var view = _models.View is { } check ? RadiographReader.ReadResized(upload.Path, check.Info.InputSize, check.Info.InputSize) : null;
            return (pixels, view);
        }
        catch (ImageReadException e)
        {
            throw _uploads.Unreadable(e, upload.Path, upload.Name);
        }
    }

    static byte[] OverlayPng(ImageGrades grades, float[] heat)
    {
        string Grade(PatientSide side) => grades.Sides.FirstOrDefault(s => s.Side == side.Name()) is { } p
            ? p.Predicted.ToString(CultureInfo.InvariantCulture) + $" (expected {p.ExpectedGrade:0.00})" : "-";
        var caption = new List<string> { $"patient's right lung: {Grade(PatientSide.Right)}   left lung: {Grade(PatientSide.Left)}" };
        if (grades.Hcs is { } hcs) caption.Add($"HCS {hcs:0.00} (heatmap inside the predicted lungs)");
        return Overlay.Png(grades.Picture!, heat, grades.Lungs, grades.Size, caption);
    }

    public void Dispose() => _decoders.Dispose();
}
