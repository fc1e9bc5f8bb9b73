using Microsoft.AspNetCore.Http;
using Pleura.DicomWeb;
using Pleura.DicomWorkflows;
using Pleura.Grading;
using Pleura.Imaging;

namespace Pleura.Server;

/// <summary>
/// <c>POST /v1/studies/{uid}</c>: grades a study on the operator's PACS as `pleura grade-study` does (QIDO-RS,
/// WADO-RS, a TID 1500 report per frontal chest radiograph and, with <c>?overlay=true</c>, a Grad-CAM Secondary
/// Capture, stored back into the study with STOW-RS), with the server's loaded models and batch queue. A study the
/// PACS does not know is 404; a PACS that is down 502, too slow 504; a server without a PACS 503.
/// </summary>
public sealed class StudyEndpoint
{
    readonly ModelCatalogue _models;
    readonly GradeQueue _queue;
    readonly ServeOptions _options;
    // The reports' observer device per run: it hashes the checkpoints, once per run rather than per study.
    readonly System.Collections.Concurrent.ConcurrentDictionary<ServedRun, Lazy<Pleura.Dicom.Results.ObserverDevice>> _devices = new();

    public StudyEndpoint(ModelCatalogue models, GradeQueue queue, ServeOptions options)
    {
        _models = models;
        _queue = queue;
        _options = options;
    }

    public async Task<IResult> Handle(HttpContext context, string uid, string? run, bool? overlay)
    {
        if (_options.Pacs is null)
            throw new RequestRefusedException(StatusCodes.Status503ServiceUnavailable, "this server has no PACS configured: start it with --pacs URL");
        var served = _models.Find(run) ?? throw new RequestRefusedException(StatusCodes.Status404NotFound,
            $"no run named '{run}'; this server has {string.Join(", ", _models.Runs.Select(r => r.Name))}");
        // A report stored in the PACS has no place to say a lung was left out: an incomplete run answers only over HTTP.
        if (served.Models.Unfinished.Count > 0)
            throw new RequestRefusedException(StatusCodes.Status409Conflict,
                $"run '{served.Name}' is served with --allow-incomplete ({RunRecord.IncompleteNote(served.Models.Unfinished)}); it stores no report in the PACS");
        using var pacs = new DicomWebClient(_options.Pacs, _options.PacsTimeout, _options.PacsUser, _options.PacsPassword);
        var options = new StudyGradingOptions { Overlay = overlay == true, BFloat16 = served.Models.BFloat16 };
        try
        {
            var result = await StudyGrading.GradeAsync(pacs, Device(served), Grader(served), uid, options, context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new { run = served.Name, result.StudyUid, result.Graded, result.Skipped, result.Stored });
        }
        catch (StudyNotFoundException e)
        {
            throw new RequestRefusedException(StatusCodes.Status404NotFound, e.Message);
        }
        catch (DicomWebException e)
        {
            throw new RequestRefusedException(e.Failure == DicomWebFailure.Timeout ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway, e.Message);
        }
    }

    Pleura.Dicom.Results.ObserverDevice Device(ServedRun run) =>
        _devices.GetOrAdd(run, r => new Lazy<Pleura.Dicom.Results.ObserverDevice>(() => StudyGrading.Device(r.Models.RunFolder))).Value;

    /// <summary>The study's images decoded off the request thread, then graded by the queue's worker with everything else.</summary>
    StudyImageGrader Grader(ServedRun run) => async (files, explain, cancel) =>
    {
        var (decoded, failures) = await Task.Run(() => run.Models.DecodeAll(files, ErrorPolicy.Continue, cancel), cancel).ConfigureAwait(false);
        var outcomes = await Task.WhenAll(decoded.Select(image => _queue.Grade(new GradeWork(run, image, null, explain), cancel))).ConfigureAwait(false);
        return (outcomes.Select(o => o.Grades!).ToList(), failures);
    };
}
