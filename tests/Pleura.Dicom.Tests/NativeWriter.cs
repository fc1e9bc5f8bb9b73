using System.Text;

namespace Pleura.Dicom.Tests;

/// <summary>
/// Writes a dataset read by Pleura.Dicom back out as explicit VR little endian with native pixel data, for the tests
/// that need a file layout dcmtk cannot make (no preamble, no file meta) or a native copy of a JPEG 2000 image for
/// dcm2pnm to render.
/// </summary>
public static class NativeWriter
{
    public static void Write(DicomFile file, int[] stored, string path, bool preamble = true, bool fileMeta = true)
    {
        using var stream = File.Create(path);
        using var w = new BinaryWriter(stream);
        if (preamble) w.Write(new byte[128]);
        if (fileMeta)
        {
            w.Write("DICM"u8);
            using var meta = new MemoryStream();
            using (var m = new BinaryWriter(meta, Encoding.ASCII, leaveOpen: true))
            {
                Element(m, new DicomTag(0x0002, 0x0001), "OB", [0, 1]);
                Element(m, new DicomTag(0x0002, 0x0002), "UI", Uid(file.Dataset.SOPClassUID ?? "1.2.840.10008.5.1.4.1.1.1"));
                Element(m, new DicomTag(0x0002, 0x0003), "UI", Uid(file.Dataset.SOPInstanceUID ?? "1.2.3"));
                Element(m, DicomTag.TransferSyntaxUID, "UI", Uid(TransferSyntax.ExplicitVRLittleEndian.Uid));
            }
            Element(w, DicomTag.FileMetaInformationGroupLength, "UL", BitConverter.GetBytes((uint)meta.Length));
            w.Write(meta.ToArray());
        }
        var format = PixelFormat.Of(file.Dataset);
        foreach (var e in file.Dataset.Elements)
        {
            if (e.Tag.Group == 0x0002 || e.Tag.Element == 0x0000) continue; // group lengths would be stale
            if (e.Tag == DicomTag.PixelData) Element(w, e.Tag, format.BitsAllocated == 8 ? "OB" : "OW", Pixels(stored, format));
            else Write(w, e);
        }
    }

    static byte[] Pixels(int[] stored, PixelFormat f)
    {
        int shift = f.HighBit + 1 - f.BitsStored, mask = (1 << f.BitsStored) - 1;
        var bytes = new byte[stored.Length * f.BitsAllocated / 8 + (f.BitsAllocated == 8 ? stored.Length % 2 : 0)];
        for (int i = 0; i < stored.Length; i++)
        {
            int word = (stored[i] & mask) << shift;
            if (f.BitsAllocated == 8) bytes[i] = (byte)word;
            else { bytes[2 * i] = (byte)word; bytes[2 * i + 1] = (byte)(word >> 8); }
        }
        return bytes;
    }

    static void Write(BinaryWriter w, DicomElement e)
    {
        if (!e.IsSequence) { Element(w, e.Tag, e.VR.Code, e.Value.ToArray()); return; }
        Header(w, e.Tag, "SQ", 0xFFFFFFFF);
        foreach (var item in e.Items)
        {
            Tag(w, DicomTag.Item); w.Write(0xFFFFFFFF);
            foreach (var inner in item.Elements) Write(w, inner);
            Tag(w, DicomTag.ItemDelimitation); w.Write(0u);
        }
        Tag(w, DicomTag.SequenceDelimitation); w.Write(0u);
    }

    static void Element(BinaryWriter w, DicomTag tag, string vr, byte[] value)
    {
        if (value.Length % 2 == 1) value = [.. value, (byte)(vr == "UI" || vr is "OB" or "UN" ? 0 : ' ')];
        Header(w, tag, vr, (uint)value.Length);
        w.Write(value);
    }

    static void Header(BinaryWriter w, DicomTag tag, string vr, uint length)
    {
        Tag(w, tag);
        w.Write(Encoding.ASCII.GetBytes(vr));
        if (new DicomVR(vr).HasLongHeader) { w.Write((ushort)0); w.Write(length); }
        else w.Write((ushort)length);
    }

    static void Tag(BinaryWriter w, DicomTag tag) { w.Write(tag.Group); w.Write(tag.Element); }

    static byte[] Uid(string uid) => Encoding.ASCII.GetBytes(uid);
}
