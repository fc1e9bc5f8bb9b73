namespace Pleura.Dicom;

/// <summary>A file as read: its file meta information (empty for a bare dataset), the dataset, and its transfer syntax.</summary>
public sealed record DicomFile(string Path, bool HasPreamble, DicomDataset FileMeta, DicomDataset Dataset, TransferSyntax TransferSyntax)
{
    /// <summary>Whether the file had a file meta information group (a bare dataset has none).</summary>
    public bool HasFileMeta => FileMeta.Elements.Count > 0;
}
