using NetVips;

namespace Pleura.Imaging;

/// <summary>
/// libvips keeps one error buffer for the whole process (libvips issue 5010): a failing call appends its message, and
/// NetVips reads and clears the buffer when it raises <see cref="VipsException"/>. Two decodes failing at once, or a
/// decode failing after a call that left its message behind (<see cref="Image.FindLoad(string)"/> of an unknown
/// format), would report each other's reasons. Every libvips call of a decode runs through <see cref="Run{T}"/>:
/// calls that succeed run side by side under a shared lock; a call that fails is run again alone, under the exclusive
/// lock and on a cleared buffer, so the reason it reports is its own. Only failing decodes are serialised.
/// </summary>
internal static class VipsCalls
{
    static readonly ReaderWriterLockSlim Gate = new(LockRecursionPolicy.NoRecursion);

    /// <summary>Runs <paramref name="call"/>; a <see cref="VipsException"/> it throws carries this call's message only. Not reentrant.</summary>
    public static T Run<T>(Func<T> call)
    {
        Gate.EnterReadLock();
        try { return call(); }
        catch (VipsException) { /* its text may hold another call's message: the call is repeated alone below */ }
        finally { Gate.ExitReadLock(); }

        Gate.EnterWriteLock();
        try
        {
            ClearErrors();
            return call();
        }
        finally { Gate.ExitWriteLock(); }
    }

    /// <summary>The loader libvips would use, or null for an unknown format, leaving no message in the error buffer.</summary>
    public static string? FindLoad(string path) => Run(() => Image.FindLoad(path) ?? ClearErrors());

    /// <summary>Empties the error buffer: constructing a <see cref="VipsException"/> reads and clears it (NetVips 3).</summary>
    static string? ClearErrors()
    {
        _ = new VipsException(string.Empty);
        return null;
    }
}
