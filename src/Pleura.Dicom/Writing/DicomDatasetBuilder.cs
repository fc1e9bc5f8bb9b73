using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Pleura.Dicom.Writing;

/// <summary>
/// Builds a <see cref="DicomDataset"/> to write: typed setters that encode each value as explicit VR little endian
/// wants it (text in UTF-8, which the writer declares as ISO_IR 192; binary little endian). A tag set twice keeps
/// the last value; the elements come out in tag order, as PS3.5 7.1 requires.
/// </summary>
public sealed class DicomDatasetBuilder
{
    readonly SortedDictionary<DicomTag, DicomElement> elements = new();

    public DicomDatasetBuilder Add(DicomElement element)
    {
        elements[element.Tag] = element;
        return this;
    }

    /// <summary>A text value (several values joined with '\'); null or empty writes an empty (type 2) element.</summary>
    public DicomDatasetBuilder Text(DicomTag tag, string vr, string? value) =>
        Add(new DicomElement(tag, new DicomVR(vr), Encoding.UTF8.GetBytes(value ?? "")));

    public DicomDatasetBuilder Texts(DicomTag tag, string vr, params string[] values) => Text(tag, vr, string.Join('\\', values));

    public DicomDatasetBuilder Uid(DicomTag tag, string uid) => Text(tag, "UI", uid);

    /// <summary>A decimal string, written in the shortest round-trip form that fits DS's 16 characters.</summary>
    public DicomDatasetBuilder Decimal(DicomTag tag, double value) => Text(tag, "DS", FormatDecimal(value));

    public DicomDatasetBuilder Integer(DicomTag tag, int value) => Text(tag, "IS", value.ToString(CultureInfo.InvariantCulture));

    public DicomDatasetBuilder UShort(DicomTag tag, params ushort[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), values[i]);
        return Add(new DicomElement(tag, DicomVR.US, bytes));
    }

    public DicomDatasetBuilder Bytes(DicomTag tag, string vr, byte[] value) => Add(new DicomElement(tag, new DicomVR(vr), value));

    /// <summary>
    /// The Image Pixel module's size and 8-bit unsigned layout (bits allocated and stored 8, high bit 7); the caller
    /// adds samples per pixel, photometric interpretation and the pixel data.
    /// </summary>
    public DicomDatasetBuilder EightBitImage(int width, int height) =>
        UShort(DicomTag.Rows, (ushort)height).UShort(DicomTag.Columns, (ushort)width)
            .UShort(DicomTag.BitsAllocated, 8).UShort(DicomTag.BitsStored, 8).UShort(DicomTag.HighBit, 7).UShort(DicomTag.PixelRepresentation, 0);

    /// <summary>A sequence of the given items (none: an empty type 2 sequence).</summary>
    public DicomDatasetBuilder Sequence(DicomTag tag, params DicomDataset[] items) =>
        Add(new DicomElement(tag, DicomVR.SQ, ReadOnlyMemory<byte>.Empty) { Items = items });

    public DicomDatasetBuilder Sequence(DicomTag tag, IEnumerable<DicomDatasetBuilder> items) => Sequence(tag, items.Select(i => i.Build()).ToArray());

    /// <summary>Copies an element of another dataset as text (re-encoded to UTF-8), or an empty one when it is absent.</summary>
    public DicomDatasetBuilder CopyText(DicomDataset from, DicomTag tag, string vr) => Text(tag, vr, from.GetString(tag));

    public DicomDataset Build(string source = "(built)") => new(elements.Values, source, Encoding.UTF8);

    public static string FormatDecimal(double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "a DS value must be finite");
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        for (int digits = 15; text.Length > 16 && digits > 1; digits--)
            text = value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return text;
    }
}
