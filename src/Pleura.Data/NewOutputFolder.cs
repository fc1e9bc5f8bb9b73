namespace Pleura.Data;

/// <summary>
/// An output folder a command may create: when the command is refused or fails before any work is kept in it (no
/// subfolder yet: only its own records such as job.json or left-out.txt), a folder it created is removed again, so a
/// refused command leaves nothing behind. A stopped run (Ctrl+C) or one with work in it is kept, to be resumed.
/// </summary>
public static class NewOutputFolder
{
    public static T Run<T>(string folder, Func<T> command)
    {
        bool existed = Directory.Exists(folder);
        try { return command(); }
        catch (Exception e) when (!existed && e is not OperationCanceledException)
        {
            try
            {
                if (Directory.Exists(folder) && !Directory.EnumerateDirectories(folder).Any()) Directory.Delete(folder, recursive: true);
            }
            catch (IOException) { /* the original failure is what the user needs to see */ }
            throw;
        }
    }
}
