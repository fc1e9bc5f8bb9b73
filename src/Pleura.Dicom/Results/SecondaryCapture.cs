using Pleura.Dicom.Writing;

namespace Pleura.Dicom.Results;

/// <summary>
/// A Secondary Capture image (SC Image Storage, PS3.3 A.8.1) holding a rendered picture, e.g. a Grad-CAM overlay with
/// its caption: 8-bit RGB, in the source's study, a new series, with the source in Source Image Sequence.
/// </summary>
public static class SecondaryCapture
{
    public const string SopClassUid = "1.2.840.10008.5.1.4.1.1.7";

    /// <param name="rgb">Interleaved R, G, B bytes, row by row (<paramref name="width"/> x <paramref name="height"/> x 3).</param>
    public static DicomDataset Build(DicomDataset source, byte[] rgb, int width, int height, SeriesPlacement placement, string derivation,
        string manufacturer = "Pleura")
    {
        if (width <= 0 || height <= 0 || width > ushort.MaxValue || height > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height} is not a valid image size");
        if (rgb.Length != width * height * 3)
            throw new ArgumentException($"{rgb.Length} bytes is not {width}x{height} RGB", nameof(rgb));
        return DerivedObject.Start(source, SopClassUid, "OT", placement, manufacturer)
            // SC Equipment: workstation (a derived picture, not a digitised film).
            .Text(ResultTags.ConversionType, "CS", "WSD")
            // General Series: laterality unknown (type 2C, empty), as a whole-chest picture has none.
            .Text(ResultTags.Laterality, "CS", null)
            // General Image.
            .Texts(DicomTag.ImageType, "CS", "DERIVED", "SECONDARY")
            .Text(ResultTags.PatientOrientation, "CS", null)
            .Text(DicomTag.DerivationDescription, "ST", derivation)
            .Sequence(ResultTags.SourceImageSequence, DerivedObject.Reference(source).Build())
            .Text(ResultTags.BurnedInAnnotation, "CS", "YES")
            .Text(ResultTags.LossyImageCompression, "CS", "00")
            // Image Pixel.
            .UShort(DicomTag.SamplesPerPixel, 3)
            .Text(DicomTag.PhotometricInterpretation, "CS", "RGB")
            .UShort(ResultTags.PlanarConfiguration, 0)
            .EightBitImage(width, height)
            .Bytes(DicomTag.PixelData, "OB", rgb)
            .Build();
    }
}
