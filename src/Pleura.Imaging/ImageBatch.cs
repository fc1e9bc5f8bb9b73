using System.Collections.Concurrent;

namespace Pleura.Imaging;

/// <summary>What a batch job does when one image cannot be read.</summary>
public enum ErrorPolicy
{
    /// <summary>Report the file and its reason, carry on with the rest.</summary>
    Continue,
    /// <summary>Stop at the first unreadable file.</summary>
    Strict,
}

/// <summary>A file a batch job could not use, and why.</summary>
public sealed record ImageFailure(string Path, string Reason);

/// <summary>The images a batch read, in input order (null where the file failed), and the failures.</summary>
public sealed record BatchResult(IReadOnlyList<GreyImage?> Images, IReadOnlyList<ImageFailure> Failures);

/// <summary>Reads many images in parallel with an explicit policy for unreadable files.</summary>
public static class ImageBatch
{
    /// <param name="read">How to read one file, e.g. <c>p => RadiographReader.ReadResized(p, 224, 224)</c>.</param>
    /// <param name="threads">Images decoded at once.</param>
    /// <param name="onProgress">Called after each file with the count done so far.</param>
    public static BatchResult Read(IReadOnlyList<string> paths, Func<string, GreyImage> read, ErrorPolicy policy,
        int threads = 0, Action<int>? onProgress = null, CancellationToken cancel = default)
    {
        var (images, failures) = ReadAll(paths, read, policy, threads, onProgress, cancel);
        return new BatchResult(images, failures);
    }

    /// <summary>As <see cref="Read"/>, for any reading of a file (e.g. one image at several sizes).</summary>
    public static (IReadOnlyList<T?> Items, IReadOnlyList<ImageFailure> Failures) ReadAll<T>(IReadOnlyList<string> paths, Func<string, T> read, ErrorPolicy policy,
        int threads = 0, Action<int>? onProgress = null, CancellationToken cancel = default) where T : class
    {
        var images = new T?[paths.Count];
        var failures = new ConcurrentBag<(int Index, ImageFailure Failure)>();
        int done = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount,
            CancellationToken = stop.Token,
        };
        try
        {
            Parallel.For(0, paths.Count, options, i =>
            {
                try { images[i] = read(paths[i]); }
                catch (ImageReadException e)
                {
                    failures.Add((i, new ImageFailure(e.Path, e.Reason)));
                    if (policy == ErrorPolicy.Strict) { stop.Cancel(); throw; }
                }
                onProgress?.Invoke(Interlocked.Increment(ref done));
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is ImageReadException or OperationCanceledException))
        {
            throw e.InnerExceptions.OfType<ImageReadException>().First();
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested && !failures.IsEmpty)
        {
            var first = failures.OrderBy(f => f.Index).First().Failure;
            throw new ImageReadException(first.Path, first.Reason);
        }
        return (images, failures.OrderBy(f => f.Index).Select(f => f.Failure).ToList());
    }
}
