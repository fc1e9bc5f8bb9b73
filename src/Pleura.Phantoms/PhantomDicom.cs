using System.Globalization;
using Pleura.Data;
using Pleura.Dicom;
using Pleura.Dicom.Results;
using Pleura.Dicom.Writing;

namespace Pleura.Phantoms;

/// <summary>Where a phantom goes in DICOM terms: its study (one per patient visit), series and instance UIDs.</summary>
public sealed record PhantomDicomIds(string StudyUid, string SeriesUid, string InstanceUid)
{
    /// <summary>UIDs that follow from the seed, patient, visit and image, so the same phantoms give the same DICOM.</summary>
    public static PhantomDicomIds For(int seed, string patientId, string studyKey, string imageId) => new(
        DicomUid.FromName($"pleura-phantoms/{seed}/{patientId}/{studyKey}"),
        DicomUid.FromName($"pleura-phantoms/{seed}/{imageId}/series"),
        DicomUid.FromName($"pleura-phantoms/{seed}/{imageId}/image"));
}

/// <summary>
/// A phantom as a DICOM CR image (8-bit MONOCHROME2, the PNG's pixels, with a window that maps them one to one), with
/// the manifest row's patient, sex, date, accession and view, so phantoms can be sent to a PACS like real radiographs.
/// </summary>
public static class PhantomDicom
{
    public const string CrImageStorage = "1.2.840.10008.5.1.4.1.1.1";

    public static DicomDataset Build(byte[] pixels, int size, ManifestRow row, PhantomDicomIds ids, string? viewPosition = null)
    {
        if (pixels.Length != size * size) throw new ArgumentException($"{pixels.Length} pixels is not {size}x{size}", nameof(pixels));
        var date = DateTime.TryParseExact(row.StudyDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d.ToString("yyyyMMdd", CultureInfo.InvariantCulture) : null;
        return new DicomDatasetBuilder()
            .Uid(DicomTag.SOPClassUID, CrImageStorage)
            .Uid(DicomTag.SOPInstanceUID, ids.InstanceUid)
            .Texts(DicomTag.ImageType, "CS", "ORIGINAL", "PRIMARY")
            .Text(ResultTags.PatientName, "PN", $"Phantom^{row.PatientId}")
            .Text(DicomTag.PatientID, "LO", row.PatientId)
            .Text(DicomTag.PatientBirthDate, "DA", null)
            .Text(DicomTag.PatientSex, "CS", row.Sex is "F" or "M" ? row.Sex : "O")
            .Uid(DicomTag.StudyInstanceUID, ids.StudyUid)
            .Text(DicomTag.StudyDate, "DA", date)
            .Text(ResultTags.StudyTime, "TM", "120000")
            // Content (and acquisition) date and time: `pleura ingest` excludes images without them (METHOD section 2).
            .Text(DicomTag.ContentDate, "DA", date)
            .Text(DicomTag.AcquisitionTime, "TM", "120000")
            .Text(DicomTag.ContentTime, "TM", "120000")
            .Text(ResultTags.ReferringPhysicianName, "PN", null)
            .Text(ResultTags.StudyID, "SH", row.Accession)
            .Text(DicomTag.AccessionNumber, "SH", row.Accession)
            .Text(ResultTags.StudyDescription, "LO", "Pleura phantom chest radiograph")
            .Text(DicomTag.Modality, "CS", "CR")
            .Uid(DicomTag.SeriesInstanceUID, ids.SeriesUid)
            .Integer(ResultTags.SeriesNumber, 1)
            .Integer(ResultTags.InstanceNumber, 1)
            .Text(ResultTags.Manufacturer, "LO", "Pleura phantoms")
            .Text(DicomTag.BodyPartExamined, "CS", "CHEST")
            .Text(DicomTag.ViewPosition, "CS", viewPosition ?? row.View)
            .Text(ResultTags.PatientOrientation, "CS", null)
            .UShort(DicomTag.SamplesPerPixel, 1)
            .Text(DicomTag.PhotometricInterpretation, "CS", "MONOCHROME2")
            .EightBitImage(size, size)
            // Centre 128, width 256: the linear VOI function of PS3.3 C.11.2.1.2 maps stored x to x / 255 exactly.
            .Decimal(DicomTag.WindowCenter, 128)
            .Decimal(DicomTag.WindowWidth, 256)
            .Bytes(DicomTag.PixelData, "OB", pixels)
            .Build();
    }
}
