using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Pleura.Grading;
using Pleura.Imaging;

namespace Pleura.Server;

/// <summary>One image to grade, already decoded at the sizes its run's models (and the view check) take.</summary>
public sealed record GradeWork(ServedRun Run, DecodedImage Image, GreyImage? ViewInput, bool Explain);

/// <summary>What the models said of one image: the view check's answer (when configured) and, unless refused as not frontal, the grades.</summary>
public sealed record GradeOutcome(ViewAnswer? View, ImageGrades? Grades);

/// <summary>
/// Funnels every request's image into one worker that owns the models: libtorch modules are not safe to call from
/// several threads, and on a CPU one batched forward pass of N images costs far less than N single ones. The worker
/// takes what has arrived (up to the batch size, waiting a few milliseconds for more), runs the view check and each
/// run's models once over the batch (the lung U-Net first where a run needs lungs), and answers each request.
/// </summary>
public sealed class GradeQueue : IAsyncDisposable
{
    static readonly Meter Meter = new(Telemetry.MeterName);
    static readonly Histogram<int> BatchSizes = Meter.CreateHistogram<int>("pleura.grade.batch_size", "{image}", "Images per forward pass");
    static readonly Counter<long> Graded = Meter.CreateCounter<long>("pleura.grade.images", "{image}", "Images graded");

    readonly Channel<(GradeWork Work, TaskCompletionSource<GradeOutcome> Answer)> _queue =
        Channel.CreateUnbounded<(GradeWork, TaskCompletionSource<GradeOutcome>)>(new UnboundedChannelOptions { SingleReader = true });
    readonly ModelCatalogue _models;
    readonly int _maxBatch;
    readonly TimeSpan _window;
    readonly Task _worker;

    public GradeQueue(ModelCatalogue models, int maxBatch, TimeSpan window)
    {
        _models = models;
        _maxBatch = maxBatch;
        _window = window;
        _worker = Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>False once the worker has stopped (readiness fails).</summary>
    public bool Running => !_worker.IsCompleted;

    public Task<GradeOutcome> Grade(GradeWork work, CancellationToken cancel)
    {
        var answer = new TaskCompletionSource<GradeOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((work, answer))) throw new InvalidOperationException("the server is shutting down");
        return answer.Task.WaitAsync(cancel);
    }

    async Task Work()
    {
        var reader = _queue.Reader;
        var batch = new List<(GradeWork Work, TaskCompletionSource<GradeOutcome> Answer)>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var item)) batch.Add(item);
            if (batch.Count < _maxBatch && _window > TimeSpan.Zero)
            {
                await Task.Delay(_window).ConfigureAwait(false);
                while (batch.Count < _maxBatch && reader.TryRead(out var item)) batch.Add(item);
            }
            Run(batch);
        }
    }

    void Run(List<(GradeWork Work, TaskCompletionSource<GradeOutcome> Answer)> batch)
    {
        BatchSizes.Record(batch.Count);
        var views = new Dictionary<GradeWork, ViewAnswer>();
        if (_models.View is { } view)
        {
            var checkedItems = batch.Where(b => b.Work.ViewInput is not null).ToList();
            if (!Try(checkedItems, () =>
                {
                    var answers = view.Check(checkedItems.Select(b => b.Work.ViewInput!).ToList());
                    for (int i = 0; i < checkedItems.Count; i++) views[checkedItems[i].Work] = answers[i];
                }))
                batch = batch.Except(checkedItems).ToList();
        }
        ViewAnswer? ViewOf(GradeWork w) => views.GetValueOrDefault(w);
        var refused = batch.Where(b => ViewOf(b.Work) is { Frontal: false }).ToList();
        foreach (var (work, answer) in refused) answer.TrySetResult(new GradeOutcome(ViewOf(work), null));

        var toGrade = batch.Except(refused).ToList();
        foreach (var group in toGrade.GroupBy(b => (b.Work.Run, b.Work.Explain)))
        {
            var items = group.ToList();
            Try(items, () =>
            {
                var grades = group.Key.Run.Models.Grade(items.Select(b => b.Work.Image).ToList(), group.Key.Explain);
                for (int k = 0; k < items.Count; k++) items[k].Answer.TrySetResult(new GradeOutcome(ViewOf(items[k].Work), grades[k]));
                Graded.Add(items.Count);
            });
        }
    }

    /// <summary>Runs a step for some requests; a failure answers those requests with it and leaves the worker running.</summary>
    static bool Try(IReadOnlyList<(GradeWork Work, TaskCompletionSource<GradeOutcome> Answer)> items, Action step)
    {
        try
        {
            step();
            return true;
        }
#pragma warning disable CA1031 // the worker serves every other client: any failure belongs to these requests only
        catch (Exception e)
#pragma warning restore CA1031
        {
            foreach (var (_, answer) in items) answer.TrySetException(e);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }
}
