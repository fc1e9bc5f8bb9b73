using System.Buffers.Binary;
using Pleura.Dicom.Rendering;
using Pleura.Dicom.Writing;

namespace Pleura.Dicom.Tests;

/// <summary>
/// Property-based tests of the DICOM reader (<see cref="Mutants"/>): small valid files in every layout and transfer
/// syntax the reader takes, damaged at random (bytes overwritten or flipped, junk inserted, ranges zeroed, the file cut
/// short), are read, or refused with a <see cref="DicomReadException"/> naming the file, by everything an ingest and
/// `dicom dump` do with a file: parse, header values, the frontal-chest rule, compression history, the dump, and each
/// frame decoded and rendered. Never another exception type (nor one of the reader's safety nets renaming a crash),
/// never a hang, never more managed memory than the stated bound. The files are made here: by Pleura's writer (native,
/// with LUTs, bare, RLE), and where dcmtk and OpenJPEG's tools are installed (CI installs them) by dcmconv, dcmcjpeg,
/// dcmcjpls and opj_compress; a layout whose tool is missing skips.
/// </summary>
public class ReaderProperties
{
    static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(20);

    /// <summary>The stated bound: 64 MiB plus 64 bytes of managed allocation per byte of input (a frame's values and its rendering).</summary>
    static long AllocationBound(long fileLength) => (64L << 20) + 64 * fileLength;

    const int Width = 64, Height = 48;

    /// <summary>A Part-10 file's 128 zero bytes before "DICM", which no reader looks at: damage starts after them.</summary>
    const int Preamble = 128;

    public static IEnumerable<object[]> Layouts() => new[]
    {
        "native", "native header", "luts", "bare", "rle two frames", "implicit", "big endian", "deflated",
        "jpeg lossless", "jpeg extended", "jpeg baseline", "jpeg-ls lossless", "jpeg-ls near-lossless", "jpeg 2000",
    }.Select(l => new object[] { l });

    /// <summary>A file of each layout, damaged at random, is read or refused by name (each layout its own stream of mutants).</summary>
    [SkippableTheory]
    [MemberData(nameof(Layouts))]
    public void DamagedDicomFilesAreReadOrRefusedByName(string layout)
    {
        using var temp = new TempFolder();
        var (valid, headerEnd) = Valid(layout, temp);
        ReadEverything(WriteTo(temp.File("valid.dcm"), valid)); // the undamaged file reads
        int stream = 100 + Layouts().Select(l => (string)l[0]).ToList().IndexOf(layout);
        Mutants.EachIsReadOrRefusedByName(valid, Mutants.Binary, stream, temp.Path, ".dcm", ReadEverything, TimeLimit,
            [typeof(DicomReadException)], AllocationBound, from: layout == "bare" ? 0 : Preamble, to: layout == "native header" ? headerEnd : null);
    }

    static string WriteTo(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>What an ingest and `dicom dump` do with a file.</summary>
    static void ReadEverything(string path)
    {
        _ = DicomFileReader.Read(path, readPixelData: false).Dataset.Elements.Count;
        var file = DicomFileReader.Read(path);
        var d = file.Dataset;
        _ = (d.PatientID, d.AccessionNumber, d.StudyDate, d.AcquisitionTime, d.ContentTime, d.ViewPosition, d.PatientBirthDate, d.PatientAge,
            d.PatientSex, d.Modality, d.BodyPartExamined, d.StudyInstanceUID, d.SeriesInstanceUID, d.SOPInstanceUID, d.SOPClassUID, d.ImageType,
            d.Rows, d.Columns, d.PhotometricInterpretation, d.NumberOfFrames);
        _ = CompressionHistory.Of(d, file.TransferSyntax);
        _ = FrontalChestRadiograph.Check(d);
        _ = DicomDump.Dump(file);
        for (int frame = 0; frame < Math.Min(d.NumberOfFrames, 3); frame++) DicomRenderer.Render(file, new RenderOptions(Frame: frame));
    }

    /// <summary>The valid file of a layout, and where its header ends (the pixel data's start).</summary>
    static (byte[] Bytes, int HeaderEnd) Valid(string layout, TempFolder temp)
    {
        var native = DicomFileWriter.ToBytes(Image(12, Stored(12)).Build());
        byte[] bytes = layout switch
        {
            "native" or "native header" => native,
            "luts" => DicomFileWriter.ToBytes(Luts()),
            "bare" => Bare(native, temp),
            "rle two frames" => DicomFileWriter.ToBytes(Rle(), syntax: TransferSyntax.RleLossless),
            "implicit" => Dcmtk(native, temp, "dcmconv", "+ti"),
            "big endian" => Dcmtk(native, temp, "dcmconv", "+tb"),
            "deflated" => Dcmtk(native, temp, "dcmconv", "+td"),
            "jpeg lossless" => Dcmtk(native, temp, "dcmcjpeg", "+e1"),
            "jpeg extended" => Dcmtk(native, temp, "dcmcjpeg", "+ee"),
            "jpeg baseline" => Dcmtk(DicomFileWriter.ToBytes(Image(8, Stored(8)).Build()), temp, "dcmcjpeg", "+eb"),
            "jpeg-ls lossless" => Dcmtk(native, temp, "dcmcjpls"),
            "jpeg-ls near-lossless" => Dcmtk(native, temp, "dcmcjpls", "+en"),
            "jpeg 2000" => Jpeg2000(temp),
            _ => throw new ArgumentException(layout, nameof(layout)),
        };
        var pixelData = new byte[] { 0xE0, 0x7F, 0x10, 0x00 };
        int at = bytes.AsSpan().LastIndexOf(pixelData);
        return (bytes, at > 0 ? at : bytes.Length);
    }

    /// <summary>Stored values of <paramref name="bits"/> bits: a gradient with a flat block (runs for RLE, edges for the JPEG codecs).</summary>
    static int[] Stored(int bits) => Enumerable.Range(0, Width * Height).Select(i =>
    {
        int x = i % Width, y = i / Width;
        return x is > 10 and < 30 && y is > 10 and < 20 ? 100 : (x * 37 + y * 11) % (1 << bits);
    }).ToArray();

    /// <summary>A frontal chest CR with the header values an ingest reads, two windows, a nested sequence and native pixels.</summary>
    static DicomDatasetBuilder Image(int bits, int[] stored, int frames = 1)
    {
        var pixels = new byte[stored.Length * (bits > 8 ? 2 : 1)];
        for (int i = 0; i < stored.Length; i++)
            if (bits > 8) BinaryPrimitives.WriteUInt16LittleEndian(pixels.AsSpan(2 * i), (ushort)stored[i]);
            else pixels[i] = (byte)stored[i];
        var b = new DicomDatasetBuilder()
            .Uid(DicomTag.SOPClassUID, "1.2.840.10008.5.1.4.1.1.1")
            .Uid(DicomTag.SOPInstanceUID, "2.25.1234567")
            .Uid(DicomTag.StudyInstanceUID, "2.25.1")
            .Uid(DicomTag.SeriesInstanceUID, "2.25.2")
            .Texts(DicomTag.ImageType, "CS", "ORIGINAL", "PRIMARY")
            .Sequence(Pleura.Dicom.Results.ResultTags.ReferencedSeriesSequence,
                new DicomDatasetBuilder().Uid(DicomTag.SeriesInstanceUID, "2.25.3")
                    .Sequence(Pleura.Dicom.Results.ResultTags.ReferencedSOPSequence,
                        new DicomDatasetBuilder().Uid(Pleura.Dicom.Results.ResultTags.ReferencedSOPInstanceUID, "2.25.4").Build()).Build())
            .UShort(DicomTag.SamplesPerPixel, 1)
            .Text(DicomTag.PhotometricInterpretation, "CS", "MONOCHROME1")
            .UShort(DicomTag.Rows, Height).UShort(DicomTag.Columns, Width)
            .UShort(DicomTag.BitsAllocated, (ushort)(bits > 8 ? 16 : 8)).UShort(DicomTag.BitsStored, (ushort)bits)
            .UShort(DicomTag.HighBit, (ushort)(bits - 1)).UShort(DicomTag.PixelRepresentation, 0)
            .Decimal(DicomTag.RescaleSlope, 1.5).Decimal(DicomTag.RescaleIntercept, -20)
            .Texts(DicomTag.WindowCenter, "DS", "2000", "1000").Texts(DicomTag.WindowWidth, "DS", "4000", "500")
            .Texts(DicomTag.WindowCenterWidthExplanation, "LO", "WIDE", "NARROW")
            .Bytes(DicomTag.PixelData, bits > 8 ? "OW" : "OB", pixels);
        foreach (var (tag, vr, value) in HeaderValues) b.Text(tag, vr, value);
        if (frames > 1) b.Integer(DicomTag.NumberOfFrames, frames);
        return b;
    }

    /// <summary>The text values an ingest reads (dates, times, ids, the frontal-chest rule's attributes), as a frontal chest CR of an adult has them.</summary>
    static readonly (DicomTag Tag, string VR, string Value)[] HeaderValues =
    [
        (DicomTag.StudyDate, "DA", "20240102"), (DicomTag.ContentTime, "TM", "101112.5"), (DicomTag.AcquisitionTime, "TM", "1011"),
        (DicomTag.AccessionNumber, "SH", "ACC1"), (DicomTag.Modality, "CS", "CR"), (DicomTag.PatientID, "LO", "P1"),
        (DicomTag.PatientBirthDate, "DA", "19700203"), (DicomTag.PatientSex, "CS", "F"), (DicomTag.PatientAge, "AS", "054Y"),
        (DicomTag.BodyPartExamined, "CS", "CHEST"), (DicomTag.ViewPosition, "CS", "PA"), (DicomTag.LossyImageCompression, "CS", "00"),
    ];

    /// <summary>Signed pixels through a Modality LUT Sequence and a VOI LUT Sequence (LookupTable), Presentation LUT Shape INVERSE.</summary>
    static DicomDataset Luts()
    {
        static byte[] Ramp(int count, Func<int, int> value)
        {
            var data = new byte[2 * count];
            for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), (ushort)value(i));
            return data;
        }
        var signed = Stored(12).Select(v => v - 2048).ToArray();
        return Image(12, signed)
            .UShort(DicomTag.PixelRepresentation, 1)
            .Sequence(DicomTag.ModalityLUTSequence, new DicomDatasetBuilder()
                .UShort(DicomTag.LUTDescriptor, 4096, unchecked((ushort)-2048), 16).Text(DicomTag.LUTExplanation, "LO", "HU")
                .Bytes(DicomTag.LUTData, "OW", Ramp(4096, i => i * 16)).Build())
            .Sequence(DicomTag.VOILUTSequence, new DicomDatasetBuilder()
                .UShort(DicomTag.LUTDescriptor, 256, 0, 12).Bytes(DicomTag.LUTData, "OW", Ramp(256, i => i * 16)).Build())
            .Text(DicomTag.PresentationLUTShape, "CS", "INVERSE")
            .Text(DicomTag.WindowCenter, "DS", null).Text(DicomTag.WindowWidth, "DS", null)
            .Build();
    }

    /// <summary>The native file as a bare dataset: no preamble, no file meta information (ACR-NEMA style).</summary>
    static byte[] Bare(byte[] native, TempFolder temp)
    {
        var file = DicomFileReader.Read(native, "native");
        NativeWriter.Write(file, PixelDataDecoder.DecodeFrame(file).Values, temp.File("bare"), preamble: false, fileMeta: false);
        return File.ReadAllBytes(temp.File("bare"));
    }

    /// <summary>Two 12-bit frames in RLE Lossless (PS3.5 Annex G), one fragment each, with a Basic Offset Table.</summary>
    static DicomDataset Rle()
    {
        var first = Stored(12);
        var second = first.Select(v => 4095 - v).ToArray();
        var fragments = new[] { RleFrame(first), RleFrame(second) };
        var offsets = new uint[] { 0, (uint)(8 + fragments[0].Length) };
        var image = Image(12, first, frames: 2).Build();
        var pixels = new DicomElement(DicomTag.PixelData, DicomVR.OB, ReadOnlyMemory<byte>.Empty)
        {
            Fragments = new EncapsulatedPixelData(offsets, fragments.Select(f => new ReadOnlyMemory<byte>(f)).ToList()),
        };
        return new DicomDataset(image.Elements.Where(e => e.Tag != DicomTag.PixelData).Append(pixels), "rle", image.Text);
    }

    /// <summary>One frame of 16-bit words: the 64-byte header, then the high-byte and low-byte segments in PackBits.</summary>
    static byte[] RleFrame(int[] values)
    {
        var segments = new[] { PackBits(values.Select(v => (byte)(v >> 8)).ToArray()), PackBits(values.Select(v => (byte)v).ToArray()) };
        var frame = new List<byte>(new byte[64]);
        BinaryPrimitives.WriteUInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(frame), 2);
        for (int s = 0; s < segments.Length; s++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(frame)[(4 + 4 * s)..], (uint)frame.Count);
            frame.AddRange(segments[s]);
        }
        return frame.ToArray();
    }

    /// <summary>PackBits: runs of three or more equal bytes replicated, the rest as literals (at most 128 a run); padded to even length.</summary>
    static byte[] PackBits(byte[] data)
    {
        var output = new List<byte>();
        int i = 0;
        while (i < data.Length)
        {
            int run = 1;
            while (i + run < data.Length && run < 128 && data[i + run] == data[i]) run++;
            if (run >= 3)
            {
                output.Add(unchecked((byte)(sbyte)(1 - run)));
                output.Add(data[i]);
                i += run;
                continue;
            }
            int start = i;
            while (i < data.Length && i - start < 128 && !(i + 2 < data.Length && data[i] == data[i + 1] && data[i] == data[i + 2])) i++;
            output.Add((byte)(i - start - 1));
            output.AddRange(data.AsSpan(start, i - start).ToArray());
        }
        if (output.Count % 2 == 1) output.Add(0x80); // a no-op header byte
        return output.ToArray();
    }

    /// <summary>The file rewritten by a dcmtk tool (skips when it is not installed).</summary>
    static byte[] Dcmtk(byte[] input, TempFolder temp, string tool, params string[] options)
    {
        Tools.Require(tool);
        var source = WriteTo(temp.File($"in-{tool}.dcm"), input);
        var output = temp.File($"out-{tool}.dcm");
        Tools.Run(tool, temp.Path, [.. options, source, output]);
        return File.ReadAllBytes(output);
    }

    /// <summary>A JPEG 2000 lossless codestream made by opj_compress from a 12-bit PGM, encapsulated by Pleura's writer.</summary>
    static byte[] Jpeg2000(TempFolder temp)
    {
        Tools.Require("opj_compress");
        var stored = Stored(12);
        var pgm = new List<byte>(System.Text.Encoding.ASCII.GetBytes($"P5\n{Width} {Height}\n4095\n"));
        foreach (var v in stored) { pgm.Add((byte)(v >> 8)); pgm.Add((byte)v); }
        File.WriteAllBytes(temp.File("image.pgm"), pgm.ToArray());
        Tools.Run("opj_compress", temp.Path, "-i", temp.File("image.pgm"), "-o", temp.File("image.j2k"));
        var codestream = File.ReadAllBytes(temp.File("image.j2k"));
        var image = Image(12, stored).Build();
        var pixels = new DicomElement(DicomTag.PixelData, DicomVR.OB, ReadOnlyMemory<byte>.Empty)
        {
            Fragments = new EncapsulatedPixelData([], [codestream.Length % 2 == 0 ? codestream : [.. codestream, 0]]),
        };
        var dataset = new DicomDataset(image.Elements.Where(e => e.Tag != DicomTag.PixelData).Append(pixels), "j2k", image.Text);
        return DicomFileWriter.ToBytes(dataset, syntax: TransferSyntax.Jpeg2000Lossless);
    }
}
