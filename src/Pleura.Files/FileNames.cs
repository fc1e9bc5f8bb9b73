namespace Pleura.Files;

/// <summary>File names made from image ids, which may hold characters a file system refuses.</summary>
public static class FileNames
{
    public static string Safe(string id) => string.Concat(id.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
