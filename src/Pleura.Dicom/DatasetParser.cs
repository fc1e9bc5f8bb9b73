using System.Buffers.Binary;
using System.Text;

namespace Pleura.Dicom;

/// <summary>
/// Parses data elements from a buffer in one transfer syntax: sequences and items of defined and undefined length,
/// and encapsulated pixel data. Every length is checked against the bytes left before it is used, and nesting is
/// bounded, so a corrupt file ends in a <see cref="DicomReadException"/>, never a hang or a huge allocation.
/// </summary>
sealed class DatasetParser(byte[] data, string source, TransferSyntax syntax, bool readPixelData)
{
    const uint Undefined = 0xFFFFFFFF;
    const int MaxDepth = 32;

    Encoding text = Encoding.Latin1;

    /// <summary>The group 0002 elements from <paramref name="start"/>, and where the dataset after them begins.</summary>
    public (DicomDataset Meta, int End) ParseFileMeta(int start)
    {
        var elements = new List<DicomElement>();
        int pos = start;
        while (pos + 4 <= data.Length && ReadUInt16(pos, false) == 0x0002)
            elements.Add(ReadElement(ref pos, data.Length, explicitVR: true, bigEndian: false, depth: 0)!);
        if (elements.Count == 0) throw Fail(pos, "the 'DICM' marker is not followed by file meta information");
        return (new DicomDataset(elements, source, Encoding.ASCII), pos);
    }

    public DicomDataset ParseTopLevel(int start)
    {
        int pos = start;
        var elements = ParseElements(ref pos, data.Length, syntax.ExplicitVR, syntax.BigEndian, 0, untilItemEnd: false);
        return new DicomDataset(elements, source, text);
    }

    List<DicomElement> ParseElements(ref int pos, int end, bool explicitVR, bool bigEndian, int depth, bool untilItemEnd)
    {
        var elements = new List<DicomElement>();
        while (pos < end)
        {
            // Some writers pad the end of a file with zero bytes; a dataset cannot contain tag (0000,0000) after others.
            if (depth == 0 && end - pos < 8 && data.AsSpan(pos, end - pos).IndexOfAnyExcept((byte)0) < 0) { pos = end; break; }
            var tag = PeekTag(pos, end, bigEndian);
            if (tag == DicomTag.ItemDelimitation)
            {
                if (!untilItemEnd) throw Fail(pos, "an item delimiter outside an item");
                pos += 8;
                return elements;
            }
            if (depth == 0 && !readPixelData && tag.CompareTo(DicomTag.PixelData) >= 0) { pos = end; break; }
            if (ReadElement(ref pos, end, explicitVR, bigEndian, depth) is { } e)
            {
                if (depth == 0 && e.Tag == new DicomTag(0x0008, 0x0005))
                    text = Encoding.ASCII.GetString(e.Value.Span).Contains("ISO_IR 192") ? Encoding.UTF8 : Encoding.Latin1;
                elements.Add(e);
            }
        }
        if (untilItemEnd) throw Fail(pos, "an item of undefined length never ends (truncated file?)");
        return elements;
    }

    DicomElement? ReadElement(ref int pos, int end, bool explicitVR, bool bigEndian, int depth)
    {
        int at = pos;
        var tag = PeekTag(pos, end, bigEndian);
        pos += 4;
        if (tag.Group == 0xFFFE) throw Fail(at, $"unexpected delimiter {tag} in the dataset");

        DicomVR vr;
        uint length;
        if (explicitVR)
        {
            Need(pos, 4, end, tag);
            var code = Encoding.ASCII.GetString(data, pos, 2);
            if (!DicomVR.IsKnown(code)) throw Fail(at, $"element {tag} has an invalid VR '{Printable(code)}'");
            vr = new DicomVR(code);
            if (vr.HasLongHeader)
            {
                Need(pos, 8, end, tag);
                length = ReadUInt32(pos + 4, bigEndian);
                pos += 8;
            }
            else
            {
                length = ReadUInt16(pos + 2, bigEndian);
                pos += 4;
            }
        }
        else
        {
            Need(pos, 4, end, tag);
            vr = DicomDictionary.VROf(tag);
            length = ReadUInt32(pos, bigEndian);
            pos += 4;
        }

        if (length == Undefined)
        {
            if (tag == DicomTag.PixelData)
                return new DicomElement(tag, DicomVR.OB, ReadOnlyMemory<byte>.Empty) { Fragments = ReadFragments(ref pos, end, bigEndian) };
            if (vr == DicomVR.SQ || vr == DicomVR.UN || !explicitVR)
            {
                // An undefined-length UN is a sequence whose items are implicit VR little endian (PS3.5 6.2.2).
                bool itemsExplicit = vr != DicomVR.UN && explicitVR, itemsBig = vr != DicomVR.UN && bigEndian;
                var items = ReadItems(ref pos, end, null, itemsExplicit, itemsBig, depth, tag);
                return new DicomElement(tag, DicomVR.SQ, ReadOnlyMemory<byte>.Empty) { Items = items };
            }
            throw Fail(at, $"element {tag} {vr} has an undefined length");
        }

        Need(pos, length, end, tag);
        int valueEnd = pos + (int)length;
        if (vr == DicomVR.SQ)
        {
            var items = ReadItems(ref pos, valueEnd, valueEnd, explicitVR, bigEndian, depth, tag);
            pos = valueEnd;
            return new DicomElement(tag, vr, ReadOnlyMemory<byte>.Empty) { Items = items };
        }
        var value = new ReadOnlyMemory<byte>(data, pos, (int)length);
        if (bigEndian && vr.ValueSize > 1) value = Swapped(value.Span, vr.ValueSize);
        pos = valueEnd;
        return new DicomElement(tag, vr, value);
    }

    /// <param name="definedEnd">The end of a defined-length sequence, or null when a delimiter ends it.</param>
    List<DicomDataset> ReadItems(ref int pos, int end, int? definedEnd, bool explicitVR, bool bigEndian, int depth, DicomTag sequence)
    {
        if (depth + 1 > MaxDepth) throw Fail(pos, $"sequences nested deeper than {MaxDepth} levels in {sequence}");
        var items = new List<DicomDataset>();
        while (true)
        {
            if (definedEnd is { } stop && pos >= stop) return items;
            var tag = PeekTag(pos, end, bigEndian);
            if (definedEnd is null && tag == DicomTag.SequenceDelimitation) { Need(pos, 8, end, tag); pos += 8; return items; }
            if (tag != DicomTag.Item) throw Fail(pos, $"sequence {sequence} holds {tag} where an item was expected");
            Need(pos, 8, end, tag);
            uint length = ReadUInt32(pos + 4, bigEndian);
            pos += 8;
            List<DicomElement> elements;
            if (length == Undefined)
                elements = ParseElements(ref pos, end, explicitVR, bigEndian, depth + 1, untilItemEnd: true);
            else
            {
                Need(pos, length, end, tag);
                int itemEnd = pos + (int)length;
                elements = ParseElements(ref pos, itemEnd, explicitVR, bigEndian, depth + 1, untilItemEnd: false);
                pos = itemEnd;
            }
            items.Add(new DicomDataset(elements, source, text));
        }
    }

    EncapsulatedPixelData ReadFragments(ref int pos, int end, bool bigEndian)
    {
        var offsets = new List<uint>();
        var fragments = new List<ReadOnlyMemory<byte>>();
        bool first = true;
        while (true)
        {
            var tag = PeekTag(pos, end, bigEndian);
            Need(pos, 8, end, tag);
            uint length = ReadUInt32(pos + 4, bigEndian);
            pos += 8;
            if (tag == DicomTag.SequenceDelimitation) break;
            if (tag != DicomTag.Item) throw Fail(pos - 8, $"encapsulated pixel data holds {tag} where a fragment was expected");
            if (length == Undefined) throw Fail(pos - 8, "a pixel data fragment has an undefined length");
            Need(pos, length, end, tag);
            if (first)
            {
                for (int i = 0; i + 4 <= length; i += 4) offsets.Add(ReadUInt32(pos + i, bigEndian));
                first = false;
            }
            else fragments.Add(new ReadOnlyMemory<byte>(data, pos, (int)length));
            pos += (int)length;
        }
        return new EncapsulatedPixelData(offsets, fragments);
    }

    DicomTag PeekTag(int pos, int end, bool bigEndian)
    {
        if (pos + 4 > end) throw Fail(pos, "the data ends inside an element header (truncated file?)");
        return new DicomTag(ReadUInt16(pos, bigEndian), ReadUInt16(pos + 2, bigEndian));
    }

    void Need(int pos, long count, int end, DicomTag tag)
    {
        if (count > end - pos)
            throw Fail(pos, $"element {tag} needs {count} bytes but only {Math.Max(0, end - pos)} are left (truncated or corrupt file)");
    }

    ushort ReadUInt16(int pos, bool bigEndian) => bigEndian
        ? BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(pos)) : BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(pos));

    uint ReadUInt32(int pos, bool bigEndian) => bigEndian
        ? BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos)) : BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos));

    static byte[] Swapped(ReadOnlySpan<byte> value, int size)
    {
        var swapped = value.ToArray();
        for (int i = 0; i + size <= swapped.Length; i += size) swapped.AsSpan(i, size).Reverse();
        return swapped;
    }

    static string Printable(string s) => new(s.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());

    DicomReadException Fail(int offset, string reason) => new(source, $"{reason} at byte {offset}");
}
