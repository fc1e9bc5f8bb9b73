namespace Pleura.Dicom;

/// <summary>
/// One data element as read. Binary values are kept little-endian whatever the transfer syntax (a big-endian dataset
/// is swapped on reading), so the getters need not know where the bytes came from. A sequence has Items; encapsulated
/// pixel data has Fragments instead of a value.
/// </summary>
public sealed record DicomElement(DicomTag Tag, DicomVR VR, ReadOnlyMemory<byte> Value)
{
    public IReadOnlyList<DicomDataset> Items { get; init; } = [];

    /// <summary>Encapsulated pixel data, or null for a native value.</summary>
    public EncapsulatedPixelData? Fragments { get; init; }

    public bool IsSequence => VR == DicomVR.SQ;
}
