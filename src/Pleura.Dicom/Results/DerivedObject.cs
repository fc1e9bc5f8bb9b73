using System.Globalization;
using Pleura.Dicom.Writing;

namespace Pleura.Dicom.Results;

/// <summary>Where a result object goes: its series (new, in the source's study), its number within it, and when it was made.</summary>
public sealed record SeriesPlacement(string SeriesInstanceUid, int SeriesNumber, int InstanceNumber, DateTime Created, string SeriesDescription)
{
    public static SeriesPlacement NewSeries(int seriesNumber, string description, DateTime created) =>
        new(DicomUid.New(), seriesNumber, 1, created, description);
}

/// <summary>
/// What every object Pleura derives from an image shares: the Patient and General Study modules copied from the
/// source (so the object lands in the original study of the same patient), a new series, the SOP Common module, and
/// a reference to the source image.
/// </summary>
static class DerivedObject
{
    public static DicomDatasetBuilder Start(DicomDataset source, string sopClassUid, string modality, SeriesPlacement placement, string manufacturer)
    {
        var studyUid = source.StudyInstanceUID ?? throw new ArgumentException($"{source.Source}: the source image has no Study Instance UID", nameof(source));
        string date = placement.Created.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        string time = placement.Created.ToString("HHmmss", CultureInfo.InvariantCulture);
        return new DicomDatasetBuilder()
            // Patient module.
            .CopyText(source, ResultTags.PatientName, "PN")
            .CopyText(source, DicomTag.PatientID, "LO")
            .CopyText(source, DicomTag.PatientBirthDate, "DA")
            .CopyText(source, DicomTag.PatientSex, "CS")
            // General Study module: the source's study.
            .Uid(DicomTag.StudyInstanceUID, studyUid)
            .CopyText(source, DicomTag.StudyDate, "DA")
            .CopyText(source, ResultTags.StudyTime, "TM")
            .CopyText(source, ResultTags.ReferringPhysicianName, "PN")
            .CopyText(source, ResultTags.StudyID, "SH")
            .CopyText(source, DicomTag.AccessionNumber, "SH")
            .CopyText(source, ResultTags.StudyDescription, "LO")
            // A new series of this object's modality.
            .Text(DicomTag.Modality, "CS", modality)
            .Uid(DicomTag.SeriesInstanceUID, placement.SeriesInstanceUid)
            .Integer(ResultTags.SeriesNumber, placement.SeriesNumber)
            .Text(ResultTags.SeriesDescription, "LO", placement.SeriesDescription)
            .Text(ResultTags.SeriesDate, "DA", date)
            .Text(ResultTags.SeriesTime, "TM", time)
            .Integer(ResultTags.InstanceNumber, placement.InstanceNumber)
            .Text(DicomTag.ContentDate, "DA", date)
            .Text(DicomTag.ContentTime, "TM", time)
            // General Equipment and SOP Common.
            .Text(ResultTags.Manufacturer, "LO", manufacturer)
            .Uid(DicomTag.SOPClassUID, sopClassUid)
            .Uid(DicomTag.SOPInstanceUID, DicomUid.New())
            .Text(ResultTags.InstanceCreationDate, "DA", date)
            .Text(ResultTags.InstanceCreationTime, "TM", time);
    }

    /// <summary>A Referenced SOP Class / Instance UID pair naming the source image.</summary>
    public static DicomDatasetBuilder Reference(DicomDataset source) => new DicomDatasetBuilder()
        .Uid(ResultTags.ReferencedSOPClassUID, source.SOPClassUID ?? throw new ArgumentException($"{source.Source}: the source image has no SOP Class UID", nameof(source)))
        .Uid(ResultTags.ReferencedSOPInstanceUID, source.SOPInstanceUID ?? throw new ArgumentException($"{source.Source}: the source image has no SOP Instance UID", nameof(source)));
}
