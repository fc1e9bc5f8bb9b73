using System.Buffers.Binary;
using System.Text;
using Pleura.Files;

namespace Pleura.Dicom.Writing;

/// <summary>How sequences and their items are delimited: both forms are valid DICOM and readers must accept both.</summary>
public enum SequenceLengths { Undefined, Defined }

/// <summary>
/// Writes a dataset as a DICOM Part 10 file (PS3.10 7.1): a 128-byte zero preamble, "DICM", the file meta information
/// (group 0002 with its group length, explicit VR little endian), then the dataset in Explicit VR Little Endian.
/// Values of odd length are padded to even (PS3.5 7.1.1): UI and binary VRs with a NUL, text with a space. Sequences are
/// written with undefined length and delimiters, or with defined lengths; encapsulated pixel data keeps its fragments.
/// Group lengths in the dataset and any group 0002 elements in it are dropped (they would be stale). Compressed pixel
/// data is written as it is, under the transfer syntax it was compressed in (the dataset itself stays explicit VR
/// little endian, as every compressed syntax requires).
/// </summary>
public static class DicomFileWriter
{
    public const string ImplementationClassUid = "2.25.247926839446062446519146424716390217218";
    public const string ImplementationVersionName = "PLEURA_1";

    public static byte[] ToBytes(DicomDataset dataset, SequenceLengths sequences = SequenceLengths.Undefined, TransferSyntax? syntax = null)
    {
        using var stream = new MemoryStream();
        Write(stream, dataset, sequences, syntax);
        return stream.ToArray();
    }

    public static void Write(string path, DicomDataset dataset, SequenceLengths sequences = SequenceLengths.Undefined, TransferSyntax? syntax = null) =>
        AtomicFile.WriteAllBytes(path, ToBytes(dataset, sequences, syntax));

    /// <param name="syntax">Explicit VR Little Endian (the default) for native pixel data, or the compressed syntax of
    /// encapsulated pixel data.</param>
    public static void Write(Stream stream, DicomDataset dataset, SequenceLengths sequences = SequenceLengths.Undefined, TransferSyntax? syntax = null)
    {
        syntax ??= TransferSyntax.ExplicitVRLittleEndian;
        bool encapsulated = dataset.Get(DicomTag.PixelData)?.Fragments is not null;
        if (!syntax.ExplicitVR || syntax.BigEndian || syntax.Deflated)
            throw new ArgumentException($"the writer writes explicit VR little endian datasets, not {syntax}", nameof(syntax));
        if (encapsulated != (syntax.Pixels != PixelEncoding.Native))
            throw new ArgumentException(encapsulated
                ? $"the pixel data is compressed (encapsulated): name its transfer syntax, not {syntax}"
                : $"the pixel data is native: {syntax} needs it compressed", nameof(syntax));
        var sopClass = dataset.SOPClassUID ?? throw new ArgumentException("the dataset has no SOP Class UID", nameof(dataset));
        var sopInstance = dataset.SOPInstanceUID ?? throw new ArgumentException("the dataset has no SOP Instance UID", nameof(dataset));
        using var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true);
        w.Write(new byte[128]);
        w.Write("DICM"u8);

        var meta = new DicomDatasetBuilder()
            .Bytes(new DicomTag(0x0002, 0x0001), "OB", [0, 1])
            .Uid(new DicomTag(0x0002, 0x0002), sopClass)
            .Uid(new DicomTag(0x0002, 0x0003), sopInstance)
            .Uid(DicomTag.TransferSyntaxUID, syntax.Uid)
            .Uid(new DicomTag(0x0002, 0x0012), ImplementationClassUid)
            .Text(new DicomTag(0x0002, 0x0013), "SH", ImplementationVersionName)
            .Build();
        var metaBytes = Encode(meta.Elements, sequences);
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)metaBytes.Length);
        w.Write(Encode([new DicomElement(DicomTag.FileMetaInformationGroupLength, DicomVR.UL, length)], sequences));
        w.Write(metaBytes);

        var body = dataset.Elements.Where(e => e.Tag.Group != 0x0002 && e.Tag.Element != 0x0000).OrderBy(e => e.Tag).ToList();
        // Text written by DicomDatasetBuilder is UTF-8: say so when some of it is beyond ASCII (the default repertoire,
        // which every reader takes without a Specific Character Set) and the dataset does not name its own.
        if (dataset.Text.CodePage == Encoding.UTF8.CodePage && !dataset.Contains(SpecificCharacterSet) && HasNonAsciiText(body))
            body.Insert(body.FindIndex(e => e.Tag > SpecificCharacterSet) is var at and >= 0 ? at : body.Count,
                new DicomElement(SpecificCharacterSet, new DicomVR("CS"), Encoding.ASCII.GetBytes("ISO_IR 192")));
        w.Write(Encode(body, sequences));
    }

    static readonly DicomTag SpecificCharacterSet = new(0x0008, 0x0005);

    static bool HasNonAsciiText(IEnumerable<DicomElement> elements) => elements.Any(e =>
        e.IsSequence ? e.Items.Any(i => HasNonAsciiText(i.Elements)) : e.VR.IsText && e.Value.Span.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0);

    static byte[] Encode(IEnumerable<DicomElement> elements, SequenceLengths sequences)
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        foreach (var e in elements) WriteElement(w, e, sequences);
        w.Flush();
        return stream.ToArray();
    }

    static void WriteElement(BinaryWriter w, DicomElement e, SequenceLengths sequences)
    {
        if (e.IsSequence)
        {
            if (sequences == SequenceLengths.Undefined)
            {
                Header(w, e.Tag, DicomVR.SQ, 0xFFFFFFFF);
                foreach (var item in e.Items)
                {
                    Tag(w, DicomTag.Item); w.Write(0xFFFFFFFF);
                    w.Write(Encode(item.Elements, sequences));
                    Tag(w, DicomTag.ItemDelimitation); w.Write(0u);
                }
                Tag(w, DicomTag.SequenceDelimitation); w.Write(0u);
            }
            else
            {
                var items = e.Items.Select(i => Encode(i.Elements, sequences)).ToList();
                Header(w, e.Tag, DicomVR.SQ, checked((uint)items.Sum(i => 8L + i.Length)));
                foreach (var item in items)
                {
                    Tag(w, DicomTag.Item); w.Write((uint)item.Length);
                    w.Write(item);
                }
            }
            return;
        }
        if (e.Fragments is { } fragments)
        {
            // Encapsulated pixel data (PS3.5 A.4): always undefined length; the offset table is the first item.
            Header(w, e.Tag, DicomVR.OB, 0xFFFFFFFF);
            Tag(w, DicomTag.Item); w.Write((uint)(fragments.OffsetTable.Count * 4));
            foreach (var offset in fragments.OffsetTable) w.Write(offset);
            foreach (var fragment in fragments.Fragments)
            {
                var padded = Padded(fragment.Span, DicomVR.OB);
                Tag(w, DicomTag.Item); w.Write((uint)padded.Length);
                w.Write(padded);
            }
            Tag(w, DicomTag.SequenceDelimitation); w.Write(0u);
            return;
        }
        var value = Padded(e.Value.Span, e.VR);
        if (!e.VR.HasLongHeader && value.Length > ushort.MaxValue)
            throw new ArgumentException($"{DicomDictionary.KeywordOf(e.Tag)} {e.Tag}: a {e.VR} value of {value.Length} bytes does not fit its 16-bit length");
        Header(w, e.Tag, e.VR, (uint)value.Length);
        w.Write(value);
    }

    static byte[] Padded(ReadOnlySpan<byte> value, DicomVR vr)
    {
        if (value.Length % 2 == 0) return value.ToArray();
        var padded = new byte[value.Length + 1];
        value.CopyTo(padded);
        padded[^1] = vr.IsText && vr.Code != "UI" ? (byte)' ' : (byte)0;
        return padded;
    }

    static void Header(BinaryWriter w, DicomTag tag, DicomVR vr, uint length)
    {
        Tag(w, tag);
        w.Write(Encoding.ASCII.GetBytes(vr.Code));
        if (vr.HasLongHeader) { w.Write((ushort)0); w.Write(length); }
        else w.Write((ushort)length);
    }

    static void Tag(BinaryWriter w, DicomTag tag)
    {
        w.Write(tag.Group);
        w.Write(tag.Element);
    }
}
