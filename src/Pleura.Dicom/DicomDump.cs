using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Pleura.Dicom;

/// <summary>
/// A readable listing of a file's elements: tag, VR, keyword and value, sequence items and pixel data fragments
/// indented under their element. For `pleura dicom dump FILE`.
/// </summary>
public static class DicomDump
{
    /// <summary>Values longer than this many characters are cut, with the full length given.</summary>
    const int MaxValueChars = 64;

    public static string Dump(DicomFile file)
    {
        var text = new StringBuilder();
        text.AppendLine($"# {file.Path}");
        text.AppendLine($"# transfer syntax: {file.TransferSyntax}" + (file.HasFileMeta ? "" : " (no file meta information: guessed)"));
        text.AppendLine($"# preamble: {(file.HasPreamble ? "yes" : "no")}");
        if (file.HasFileMeta)
        {
            text.AppendLine("# file meta information");
            Append(text, file.FileMeta, 0);
        }
        text.AppendLine("# dataset");
        Append(text, file.Dataset, 0);
        return text.ToString();
    }

    static void Append(StringBuilder text, DicomDataset dataset, int depth)
    {
        var indent = new string(' ', 2 * depth);
        foreach (var e in dataset.Elements)
        {
            var head = $"{indent}{e.Tag} {e.VR} {DicomDictionary.KeywordOf(e.Tag),-34}";
            if (e.IsSequence)
            {
                text.AppendLine($"{head} sequence of {e.Items.Count} item(s)");
                for (int i = 0; i < e.Items.Count; i++)
                {
                    text.AppendLine($"{indent}  item {i + 1}");
                    Append(text, e.Items[i], depth + 2);
                }
            }
            else if (e.Fragments is { } f)
            {
                text.AppendLine($"{head} encapsulated: offset table of {f.OffsetTable.Count} entries, {f.Fragments.Count} fragment(s)");
                for (int i = 0; i < f.Fragments.Count; i++)
                    text.AppendLine($"{indent}  fragment {i + 1}: {f.Fragments[i].Length} bytes, {Hex(f.Fragments[i].Span)}");
            }
            else text.AppendLine($"{head} {Value(e, dataset)}");
        }
    }

    static string Value(DicomElement e, DicomDataset d)
    {
        var v = e.Value.Span;
        if (v.IsEmpty) return "(empty)";
        if (e.VR.IsText) return Cut($"[{d.Text.GetString(v).TrimEnd(' ', '\0')}]", v.Length);
        string Numbers<T>(int size, Func<int, T> read) where T : IFormattable =>
            Cut(string.Join('\\', Enumerable.Range(0, e.Value.Length / size).Take(MaxValueChars / 2).Select(i => read(i * size).ToString(null, CultureInfo.InvariantCulture))), e.Value.Length);
        var m = e.Value;
        return e.VR.Code switch
        {
            "US" => Numbers(2, i => BinaryPrimitives.ReadUInt16LittleEndian(m.Span[i..])),
            "SS" => Numbers(2, i => BinaryPrimitives.ReadInt16LittleEndian(m.Span[i..])),
            "UL" => Numbers(4, i => BinaryPrimitives.ReadUInt32LittleEndian(m.Span[i..])),
            "SL" => Numbers(4, i => BinaryPrimitives.ReadInt32LittleEndian(m.Span[i..])),
            "FL" => Numbers(4, i => BinaryPrimitives.ReadSingleLittleEndian(m.Span[i..])),
            "FD" => Numbers(8, i => BinaryPrimitives.ReadDoubleLittleEndian(m.Span[i..])),
            "AT" => string.Join('\\', Enumerable.Range(0, v.Length / 4).Select(i =>
                new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(m.Span[(4 * i)..]), BinaryPrimitives.ReadUInt16LittleEndian(m.Span[(4 * i + 2)..])).ToString())),
            _ => $"{v.Length} bytes, {Hex(v)}",
        };
    }

    static string Hex(ReadOnlySpan<byte> bytes) =>
        string.Join(' ', bytes[..Math.Min(bytes.Length, 16)].ToArray().Select(b => b.ToString("x2"))) + (bytes.Length > 16 ? " ..." : "");

    static string Cut(string s, int bytes) => s.Length <= MaxValueChars ? s : $"{s[..MaxValueChars]}... ({bytes} bytes)";
}
