using System.Text;
using Xunit.Abstractions;

namespace Pleura.Dicom.Tests;

/// <summary>
/// The reader's dataset side: header values against dcmdump, file layouts (preamble, no file meta), the transfer
/// syntaxes dcmconv writes (big endian, deflated, implicit; defined and undefined lengths), and bad input.
/// </summary>
public class ReaderTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Files() => SharedDicom.Files();

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void Top_level_text_values_equal_dcmdump(string name)
    {
        var path = SharedDicom.Require(name);
        Tools.Require("dcmdump");
        using var temp = new TempFolder();
        var dataset = DicomFileReader.Read(path).Dataset;
        int compared = 0;
        foreach (var (tag, value) in DcmdumpTextValues(path, temp))
        {
            Assert.True(dataset.Contains(tag), $"{name}: {tag} is in dcmdump's listing but not read");
            Assert.Equal(value, dataset.GetString(tag) ?? "");
            compared++;
        }
        output.WriteLine($"{name}: {compared} text values equal dcmdump's");
        Assert.True(compared >= 5, $"{name}: only {compared} text values compared");
    }

    [SkippableFact]
    public void Typed_getters_read_the_ingest_fields_of_a_bare_implicit_dataset()
    {
        var file = DicomFileReader.Read(SharedDicom.Require("CR-MONO1-10-chest"));
        Assert.False(file.HasFileMeta);
        Assert.False(file.HasPreamble);
        Assert.Equal(TransferSyntax.ImplicitVRLittleEndian, file.TransferSyntax);
        var d = file.Dataset;
        Assert.Equal("FUJI95714", d.AccessionNumber);
        Assert.Equal("CR", d.Modality);
        Assert.Equal("CHEST", d.BodyPartExamined);
        Assert.Equal("PA", d.ViewPosition);
        Assert.Equal(new TimeOnly(17, 58, 0), d.AcquisitionTime);
        Assert.Equal(new DateOnly(1993, 2, 24), d.GetDate(DicomTag.AcquisitionDate)); // the old "1993.02.24" form
        Assert.Null(d.ContentTime);
        Assert.Null(d.PatientBirthDate);
        Assert.Equal("1.2.392.200036.9125.0.199302241758.16", d.StudyInstanceUID);
        Assert.Equal("1.2.392.200036.9125.0.19950720112207", d.SOPInstanceUID);
        Assert.Equal((440, 440), (d.Rows, d.Columns));
        Assert.Equal("MONOCHROME1", d.PhotometricInterpretation);
        Assert.Equal(1, d.NumberOfFrames);
        Assert.Equal(["ORIGINAL", "PRIMARY"], d.GetStrings(DicomTag.ImageType)[0].Split(' '));
        Assert.Equal([550.0], d.GetDoubles(DicomTag.WindowCenter));

        var header = DicomFileReader.Read(file.Path, readPixelData: false).Dataset;
        Assert.False(header.Contains(DicomTag.PixelData));
        Assert.Equal(d.Elements.Count - 1, header.Elements.Count); // all but the pixel data, the last element here
        Assert.Equal(d.StudyInstanceUID, header.StudyInstanceUID);
    }

    [SkippableFact]
    public void Part_10_with_and_without_preamble_and_a_bare_dataset_decode_alike()
    {
        var path = SharedDicom.Require("RG3_UNC.dcm");
        using var temp = new TempFolder();
        var original = DicomFileReader.Read(path);
        Assert.True(original.HasPreamble);
        var values = PixelDataDecoder.DecodeFrame(original).Values;
        foreach (var (preamble, meta) in new[] { (true, true), (false, true), (false, false) })
        {
            var copy = temp.File($"copy-{preamble}-{meta}.dcm");
            NativeWriter.Write(original, values, copy, preamble, meta);
            var read = DicomFileReader.Read(copy);
            Assert.Equal(preamble, read.HasPreamble);
            Assert.Equal(meta, read.HasFileMeta);
            Assert.Equal(TransferSyntax.ExplicitVRLittleEndian, read.TransferSyntax);
            Assert.Equal(original.Dataset.SOPInstanceUID, read.Dataset.SOPInstanceUID);
            Assert.Equal(values, PixelDataDecoder.DecodeFrame(read).Values);
        }
    }

    /// <summary>dcmconv's rewrites of an image with a Modality LUT Sequence (an OW LUT inside an item) and of one without.</summary>
    [SkippableTheory]
    [InlineData("RG3_UNC.dcm", "+tb", "1.2.840.10008.1.2.2", "+e")]
    [InlineData("RG3_UNC.dcm", "+td", "1.2.840.10008.1.2.1.99", "-e")]
    [InlineData("CR-ModalitySequenceLUT.dcm", "+tb", "1.2.840.10008.1.2.2", "+e")]
    [InlineData("CR-ModalitySequenceLUT.dcm", "+tb", "1.2.840.10008.1.2.2", "-e")]
    [InlineData("CR-ModalitySequenceLUT.dcm", "+td", "1.2.840.10008.1.2.1.99", "+e")]
    [InlineData("CR-ModalitySequenceLUT.dcm", "+ti", "1.2.840.10008.1.2", "-e")]
    [InlineData("CR-MONO1-10-chest", "+tb", "1.2.840.10008.1.2.2", "+e")]
    public void Big_endian_deflated_and_implicit_rewrites_decode_equal_to_the_original(string name, string syntaxOption, string uid, string lengths)
    {
        var path = SharedDicom.Require(name);
        Tools.Require("dcmconv", "dcmdjpeg");
        using var temp = new TempFolder();
        var original = DicomFileReader.Read(path);
        // dcmconv cannot change the syntax of compressed pixel data, so a JPEG file is made native first.
        var source = original.TransferSyntax.Pixels == PixelEncoding.Native ? path : Reference.Decompressed(path, original.TransferSyntax, temp)!;
        var rewritten = temp.File("rewritten.dcm");
        Tools.Run("dcmconv", temp.Path, syntaxOption, lengths, source, rewritten);

        var read = DicomFileReader.Read(rewritten);
        Assert.Equal(uid, read.TransferSyntax.Uid);
        Assert.Equal(PixelDataDecoder.DecodeFrame(original).Values, PixelDataDecoder.DecodeFrame(read).Values);
        foreach (var e in original.Dataset.Elements.Where(e => e.VR.IsText))
            Assert.Equal(original.Dataset.GetString(e.Tag), read.Dataset.GetString(e.Tag));
        var lut = read.Dataset.GetSequence(DicomTag.ModalityLUTSequence);
        Assert.Equal(original.Dataset.GetSequence(DicomTag.ModalityLUTSequence).Select(i => i.GetInts(DicomTag.LUTData)), lut.Select(i => i.GetInts(DicomTag.LUTData)));
        Assert.Equal(
            Rendering.DicomRenderer.Render(original).Pixels,
            Rendering.DicomRenderer.Render(read).Pixels);
    }

    [SkippableTheory]
    [InlineData("RG3_UNC.dcm")]
    [InlineData("RG3_JPLL.dcm")]
    [InlineData("RG3_JLSL.dcm")]
    [InlineData("RG3_RLE.dcm")]
    [InlineData("RG3_J2KR.dcm")]
    [InlineData("RG3_JPLY.dcm")]
    [InlineData("CR-MONO1-10-chest")]
    public void A_truncated_file_gives_a_DicomReadException_naming_it(string name)
    {
        var bytes = File.ReadAllBytes(SharedDicom.Require(name));
        using var temp = new TempFolder();
        var path = temp.File("truncated-" + name);
        // Cuts inside the preamble, the file meta, the header, and at many points in the pixel data.
        var cuts = new[] { 0, 3, 100, 140, 200, 700 }.Concat(Enumerable.Range(1, 12).Select(i => bytes.Length * i / 13));
        foreach (var cut in cuts.Where(c => c < bytes.Length))
        {
            File.WriteAllBytes(path, bytes[..cut]);
            var e = Assert.Throws<DicomReadException>(() => PixelDataDecoder.DecodeFrame(DicomFileReader.Read(path)));
            Assert.Equal(path, e.Path);
            Assert.StartsWith(path + ": ", e.Message);
            Assert.False(string.IsNullOrWhiteSpace(e.Reason));
        }
    }

    /// <summary>Damaged codestreams reach each codec (the element lengths stay intact): it decodes or says why.</summary>
    [SkippableTheory]
    [InlineData("RG3_JPLL.dcm")]
    [InlineData("RG3_JPLY.dcm")]
    [InlineData("c64d5667-a776-4f95-9e21-bfabafb07740.dcm")]
    [InlineData("RG3_JLSL.dcm")]
    [InlineData("RG3_JLSN.dcm")]
    [InlineData("RG3_J2KR.dcm")]
    [InlineData("RG3_J2KI.dcm")]
    [InlineData("RG3_RLE.dcm")]
    public void A_damaged_codestream_decodes_or_gives_a_DicomReadException(string name)
    {
        var bytes = File.ReadAllBytes(SharedDicom.Require(name));
        var fragments = DicomFileReader.Read(bytes, name).Dataset.Get(DicomTag.PixelData)!.Fragments!;
        int frameBytes = fragments.Fragments.Sum(f => f.Length);
        using var temp = new TempFolder();
        var random = new Random(14);
        int failures = 0;
        for (int trial = 0; trial < 6; trial++)
        {
            var damaged = (byte[])bytes.Clone();
            // Bytes in the first fragment's first kilobyte (headers, tables) or anywhere in the codestream.
            int start = bytes.Length - frameBytes - 8 * fragments.Fragments.Count - 8;
            for (int i = 0; i < 8; i++)
            {
                int at = start + (trial % 2 == 0 ? random.Next(16, 1024) : random.Next(16, frameBytes));
                damaged[at] = (byte)random.Next(256);
            }
            var path = temp.File($"damaged-{trial}.dcm");
            File.WriteAllBytes(path, damaged);
            try
            {
                var frame = PixelDataDecoder.DecodeFrame(DicomFileReader.Read(path));
                Assert.All(frame.Values, v => Assert.InRange(v, frame.Format.MinStoredValue, frame.Format.MaxStoredValue));
            }
            catch (DicomReadException e)
            {
                Assert.Equal(path, e.Path);
                failures++;
            }
        }
        output.WriteLine($"{name}: {failures} of 6 damaged copies refused");
    }

    [Fact]
    public void Garbage_gives_a_DicomReadException_naming_the_file()
    {
        using var temp = new TempFolder();
        var random = new Random(14);
        for (int i = 0; i < 50; i++)
        {
            var bytes = new byte[random.Next(0, 5000)];
            random.NextBytes(bytes);
            if (i % 2 == 1 && bytes.Length > 132) "DICM"u8.CopyTo(bytes.AsSpan(128)); // a real marker, garbage after it
            var path = temp.File($"garbage-{i}.dcm");
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<DicomReadException>(() => PixelDataDecoder.DecodeFrame(DicomFileReader.Read(path)));
            Assert.Equal(path, e.Path);
        }
        var missing = temp.File("missing.dcm");
        Assert.Contains("cannot be opened", Assert.Throws<DicomReadException>(() => DicomFileReader.Read(missing)).Message);
    }

    [SkippableFact]
    public void An_unsupported_transfer_syntax_is_named_in_the_error()
    {
        var bytes = File.ReadAllBytes(SharedDicom.Require("RG3_UNC.dcm"));
        using var temp = new TempFolder();
        // Replace the 20-byte Transfer Syntax UID value (explicit VR LE) with MPEG2's, fixing the element's length.
        var old = Encoding.ASCII.GetBytes("1.2.840.10008.1.2.1\0");
        int at = bytes.AsSpan(0, 400).IndexOf(old);
        Assert.True(at > 0);
        var mpeg2 = Encoding.ASCII.GetBytes("1.2.840.10008.1.2.4.100\0");
        var patched = bytes[..(at - 2)].Concat(BitConverter.GetBytes((ushort)mpeg2.Length)).Concat(mpeg2).Concat(bytes[(at + old.Length)..]).ToArray();
        var path = temp.File("mpeg2.dcm");
        File.WriteAllBytes(path, patched);
        var e = Assert.Throws<DicomReadException>(() => DicomFileReader.Read(path));
        Assert.Equal($"{path}: unsupported transfer syntax 1.2.840.10008.1.2.4.100", e.Message);
    }

    [SkippableFact]
    public void A_60000_by_60000_header_is_refused_before_any_allocation()
    {
        var path = SharedDicom.Require("RG3_UNC.dcm");
        Tools.Require("dcmodify");
        using var temp = new TempFolder();
        var copy = Tools.ModifiedCopy(path, temp, "-m", "Rows=60000", "-m", "Columns=60000");
        var e = Assert.Throws<DicomReadException>(() => PixelDataDecoder.DecodeFrame(DicomFileReader.Read(copy)));
        Assert.Contains("60000 x 60000", e.Reason);
    }

    [SkippableFact]
    public void The_dump_names_tags_and_indents_sequence_items()
    {
        var file = DicomFileReader.Read(SharedDicom.Require("CR-ModalitySequenceLUT.dcm"));
        var lines = DicomDump.Dump(file).Split('\n');
        Assert.Contains(lines, l => l.StartsWith("# transfer syntax: JPEG Lossless (Process 14, SV1) (1.2.840.10008.1.2.4.70)"));
        Assert.Contains(lines, l => l.StartsWith("(0002,0010) UI TransferSyntaxUID") && l.Contains("[1.2.840.10008.1.2.4.70]"));
        Assert.Contains(lines, l => l.StartsWith("(0028,3000) SQ ModalityLUTSequence") && l.Contains("1 item(s)"));
        Assert.Contains(lines, l => l.StartsWith("    (0028,3002) US LUTDescriptor") && l.TrimEnd().EndsWith("1024\\0\\16"));
        Assert.Contains(lines, l => l.StartsWith("(7FE0,0010) OB PixelData") && l.Contains("1 fragment(s)"));
        Assert.Contains(lines, l => l.StartsWith("  fragment 1: 1258044 bytes, ff d8 ff c4"));
        Assert.Contains(lines, l => l.StartsWith("(0028,0010) US Rows") && l.TrimEnd().EndsWith(" 1576"));
    }

    /// <summary>Top-level text elements as dcmdump prints them (UIDs as numbers, long values in full).</summary>
    static IEnumerable<(DicomTag Tag, string Value)> DcmdumpTextValues(string path, TempFolder temp)
    {
        var listing = temp.File("dump.txt");
        var start = new System.Diagnostics.ProcessStartInfo("dcmdump") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-q", "+L", "-Un", "-M", path }) start.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(start)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        foreach (var line in text.Split('\n'))
        {
            // "(0008,0050) SH [FUJI95714]   # 10, 1 AccessionNumber", top level only (no indentation).
            if (line.Length < 16 || line[0] != '(' || line[11] != ' ') continue;
            var vr = line.Substring(12, 2);
            if (!new DicomVR(vr).IsText || vr is "LT" or "ST" or "UT") continue;
            var tag = new DicomTag(Convert.ToUInt16(line[1..5], 16), Convert.ToUInt16(line[6..10], 16));
            if (tag.Group == 0x0002) continue;
            var rest = line[15..];
            if (rest.StartsWith("(no value available)")) { yield return (tag, ""); continue; }
            if (!rest.StartsWith('[')) continue;
            int close = rest.LastIndexOf(']', rest.LastIndexOf('#'));
            yield return (tag, rest[1..close].TrimEnd(' ', '\0'));
        }
    }
}
