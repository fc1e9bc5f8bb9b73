namespace Pleura.Dicom;

/// <summary>
/// Keywords and VRs of the attributes an ingest and the renderer need, plus the common ones a dump shows. Implicit-VR
/// datasets carry no VR, so the reader takes it from here (UN when the tag is not listed).
/// </summary>
public static class DicomDictionary
{
    static readonly Dictionary<uint, (string VR, string Keyword)> Entries = Build(
        (0x00020000, "UL", "FileMetaInformationGroupLength"), (0x00020001, "OB", "FileMetaInformationVersion"),
        (0x00020002, "UI", "MediaStorageSOPClassUID"), (0x00020003, "UI", "MediaStorageSOPInstanceUID"),
        (0x00020010, "UI", "TransferSyntaxUID"), (0x00020012, "UI", "ImplementationClassUID"),
        (0x00020013, "SH", "ImplementationVersionName"), (0x00020016, "AE", "SourceApplicationEntityTitle"),
        (0x00080005, "CS", "SpecificCharacterSet"), (0x00080008, "CS", "ImageType"),
        (0x00080012, "DA", "InstanceCreationDate"), (0x00080013, "TM", "InstanceCreationTime"),
        (0x00080016, "UI", "SOPClassUID"), (0x00080018, "UI", "SOPInstanceUID"),
        (0x00080020, "DA", "StudyDate"), (0x00080021, "DA", "SeriesDate"), (0x00080022, "DA", "AcquisitionDate"),
        (0x00080023, "DA", "ContentDate"), (0x00080030, "TM", "StudyTime"), (0x00080031, "TM", "SeriesTime"),
        (0x00080032, "TM", "AcquisitionTime"), (0x00080033, "TM", "ContentTime"),
        (0x00080050, "SH", "AccessionNumber"), (0x00080060, "CS", "Modality"), (0x00080064, "CS", "ConversionType"),
        (0x00080070, "LO", "Manufacturer"), (0x00080080, "LO", "InstitutionName"),
        (0x00080090, "PN", "ReferringPhysicianName"), (0x00081030, "LO", "StudyDescription"),
        (0x0008103E, "LO", "SeriesDescription"), (0x00081090, "LO", "ManufacturerModelName"),
        (0x00082111, "ST", "DerivationDescription"),
        (0x00100010, "PN", "PatientName"), (0x00100020, "LO", "PatientID"), (0x00100030, "DA", "PatientBirthDate"),
        (0x00100040, "CS", "PatientSex"), (0x00101010, "AS", "PatientAge"),
        (0x00180015, "CS", "BodyPartExamined"), (0x00185101, "CS", "ViewPosition"),
        (0x0020000D, "UI", "StudyInstanceUID"), (0x0020000E, "UI", "SeriesInstanceUID"),
        (0x00200010, "SH", "StudyID"), (0x00200011, "IS", "SeriesNumber"), (0x00200013, "IS", "InstanceNumber"),
        (0x00200020, "CS", "PatientOrientation"),
        (0x00280002, "US", "SamplesPerPixel"), (0x00280004, "CS", "PhotometricInterpretation"),
        (0x00280006, "US", "PlanarConfiguration"), (0x00280008, "IS", "NumberOfFrames"),
        (0x00280010, "US", "Rows"), (0x00280011, "US", "Columns"), (0x00280030, "DS", "PixelSpacing"),
        (0x00280034, "IS", "PixelAspectRatio"), (0x00280100, "US", "BitsAllocated"), (0x00280101, "US", "BitsStored"),
        (0x00280102, "US", "HighBit"), (0x00280103, "US", "PixelRepresentation"),
        (0x00281050, "DS", "WindowCenter"), (0x00281051, "DS", "WindowWidth"),
        (0x00281052, "DS", "RescaleIntercept"), (0x00281053, "DS", "RescaleSlope"), (0x00281054, "LO", "RescaleType"),
        (0x00281055, "LO", "WindowCenterWidthExplanation"), (0x00281056, "CS", "VOILUTFunction"),
        (0x00282110, "CS", "LossyImageCompression"), (0x00282112, "DS", "LossyImageCompressionRatio"),
        (0x00282114, "CS", "LossyImageCompressionMethod"),
        (0x00283000, "SQ", "ModalityLUTSequence"), (0x00283002, "US", "LUTDescriptor"),
        (0x00283003, "LO", "LUTExplanation"), (0x00283004, "LO", "ModalityLUTType"), (0x00283006, "OW", "LUTData"),
        (0x00283010, "SQ", "VOILUTSequence"), (0x20500020, "CS", "PresentationLUTShape"),
        (0x7FE00001, "OV", "ExtendedOffsetTable"), (0x7FE00010, "OW", "PixelData"),
        (0xFFFEE000, "--", "Item"), (0xFFFEE00D, "--", "ItemDelimitationItem"),
        (0xFFFEE0DD, "--", "SequenceDelimitationItem"));

    static Dictionary<uint, (string, string)> Build(params (uint Tag, string VR, string Keyword)[] rows) =>
        rows.ToDictionary(r => r.Tag, r => (r.VR, r.Keyword));

    /// <summary>The VR an implicit-VR dataset means for this tag: group lengths are UL, unknown tags UN.</summary>
    public static DicomVR VROf(DicomTag tag)
    {
        if (tag.Element == 0) return DicomVR.UL;
        return Entries.TryGetValue(tag.Value, out var e) && e.VR != "--" ? new DicomVR(e.VR) : DicomVR.UN;
    }

    /// <summary>The attribute's keyword, "GroupLength" for (gggg,0000), "Private" / "Unknown" otherwise.</summary>
    public static string KeywordOf(DicomTag tag)
    {
        if (Entries.TryGetValue(tag.Value, out var e)) return e.Keyword;
        if (tag.Element == 0) return "GroupLength";
        return tag.IsPrivate ? "Private" : "Unknown";
    }
}
