using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pleura.Data;

/// <summary>An ordered, immutable list of images with the extra columns they carry.</summary>
public sealed class Manifest
{
    public Manifest(IReadOnlyList<ManifestRow> rows, IReadOnlyList<string> extraColumns, string baseDirectory)
    {
        Rows = rows;
        ExtraColumns = extraColumns;
        BaseDirectory = System.IO.Path.GetFullPath(baseDirectory);
    }

    public IReadOnlyList<ManifestRow> Rows { get; }
    public IReadOnlyList<string> ExtraColumns { get; }

    /// <summary>Folder that relative image paths are resolved against (the manifest file's folder).</summary>
    public string BaseDirectory { get; }

    public IEnumerable<string> GradeColumns => ExtraColumns.Where(ManifestColumns.IsGradeColumn);

    public string ResolvePath(ManifestRow row) => Resolve(row.Path);

    /// <summary>The full path of a file the manifest names (an image or a mask), relative paths taken from its folder.</summary>
    public string Resolve(string path) =>
        System.IO.Path.GetFullPath(System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(BaseDirectory, path));

    /// <summary>Integer grade in a label column, or null when blank or not a whole number.</summary>
    public static int? Grade(ManifestRow row, string column) =>
        int.TryParse(row.GetExtra(column).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var g) ? g : null;

    /// <summary>
    /// A stable fingerprint of which images belong to which patients, with which labels: splits and checkpoints
    /// record it so a changed data set is noticed.
    /// </summary>
    public string Fingerprint()
    {
        var lines = Rows
            .Select(r => string.Join('\t', new[] { r.ImageId, r.PatientId }.Concat(ExtraColumns.Select(r.GetExtra))))
            .OrderBy(l => l, StringComparer.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(string.Join('\n', lines));
        return Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
    }
}
