namespace Pleura.Dicom;

/// <summary>
/// What an image's header says about how its pixels were encoded and processed, kept apart: curation excludes
/// processed images (METHOD section 2) but must keep images that were only compressed. dcmtk's <c>dcmcjpeg</c>, for
/// one, records "Lossless JPEG compression, selection value 1, ..." as a Derivation Description on a lossless copy
/// (no pixel changed), and on a lossy one sets Image Type DERIVED with Derivation Code 113040 "Lossy Compression".
/// </summary>
/// <param name="Lossy">Lossy Image Compression (0028,2110) is "01", or the transfer syntax is a lossy one.</param>
/// <param name="PostProcessed">Evidence of processing other than compression: Image Type SECONDARY; a Derivation
/// Description or Derivation Code that names something other than compression; or Image Type DERIVED with no record
/// that compression alone made it so.</param>
/// <param name="Evidence">What decided <paramref name="PostProcessed"/> (empty when nothing did).</param>
public sealed record CompressionHistory(bool Lossy, bool PostProcessed, string Evidence)
{
    /// <summary>DICOM's code for "Lossy Compression" (DCM 113040), the derivation a lossy encoder records.</summary>
    public const string LossyCompressionCode = "113040";

    public static CompressionHistory Of(DicomDataset d, TransferSyntax syntax)
    {
        bool lossy = string.Equals(d.GetString(DicomTag.LossyImageCompression)?.Trim(), "01", StringComparison.Ordinal) || syntax.Lossy;
        var imageType = d.ImageType;
        bool Has(string value) => imageType.Any(t => t.Equals(value, StringComparison.OrdinalIgnoreCase));

        if (Has("SECONDARY")) return new(lossy, true, "Image Type SECONDARY");
        var codes = d.GetSequence(DicomTag.DerivationCodeSequence)
            .Select(item => item.GetString(DicomTag.CodeValue)?.Trim() ?? "").ToList();
        if (codes.FirstOrDefault(c => c != LossyCompressionCode) is { } other)
            return new(lossy, true, $"Derivation Code {other}");
        var description = d.GetString(DicomTag.DerivationDescription);
        if (description is not null && !NamesCompressionOnly(description))
            return new(lossy, true, $"Derivation Description \"{description.Trim()}\"");
        bool compressionRecorded = lossy || codes.Count > 0 || description is not null;
        if (Has("DERIVED") && !compressionRecorded) return new(lossy, true, "Image Type DERIVED");
        return new(lossy, false, "");
    }

    // Words encoders use when they describe a compression: dcmtk "Lossless JPEG compression, ...", "Lossy compression
    // with JPEG baseline, ..."; other archives "JPEG 2000 irreversible (lossy) 10:1", "JPEG-LS near-lossless 2:1".
    static readonly string[] CompressionWords = ["compress", "jpeg", "lossless", "lossy", "rle", "deflate"];

    /// <summary>Every clause (separated by ';' as encoders append them) speaks of compression.</summary>
    static bool NamesCompressionOnly(string description)
    {
        var clauses = description.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return clauses.Length > 0 && clauses.All(c => CompressionWords.Any(w => c.Contains(w, StringComparison.OrdinalIgnoreCase)));
    }
}
