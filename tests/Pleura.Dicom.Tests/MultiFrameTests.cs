using System.Text;

namespace Pleura.Dicom.Tests;

/// <summary>
/// Encapsulated pixel data of several frames, split across fragments: with a Basic Offset Table, and without one
/// (frames then end at their JPEG EOI marker). The shared files are all single-frame, so a two-frame dataset is made
/// here from the fragments of two JPEG-LS files of the same size (lossless and near-lossless: different pixels).
/// </summary>
public class MultiFrameTests
{
    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Each_frame_decodes_as_the_single_frame_file_it_came_from(bool offsetTable)
    {
        var lossless = DicomFileReader.Read(SharedDicom.Require("RG3_JLSL.dcm"));
        var nearLossless = DicomFileReader.Read(SharedDicom.Require("RG3_JLSN.dcm"));
        var first = lossless.Dataset.Get(DicomTag.PixelData)!.Fragments!.Fragments;
        var second = nearLossless.Dataset.Get(DicomTag.PixelData)!.Fragments!.Fragments;
        Assert.True(first.Count > 1 && second.Count > 1, "both frames should span several fragments");

        uint secondOffset = (uint)first.Sum(f => 8 + f.Length);
        var pixels = new EncapsulatedPixelData(offsetTable ? [0u, secondOffset] : [], [.. first, .. second]);
        var elements = lossless.Dataset.Elements
            .Where(e => e.Tag != DicomTag.PixelData)
            .Append(new DicomElement(DicomTag.NumberOfFrames, new DicomVR("IS"), Encoding.ASCII.GetBytes("2 ")))
            .Append(new DicomElement(DicomTag.PixelData, DicomVR.OB, ReadOnlyMemory<byte>.Empty) { Fragments = pixels })
            .OrderBy(e => e.Tag);
        var twoFrames = lossless with { Path = "two-frames", Dataset = new DicomDataset(elements, "two-frames", Encoding.Latin1) };

        Assert.Equal(2, twoFrames.Dataset.NumberOfFrames);
        Assert.Equal(PixelDataDecoder.DecodeFrame(lossless).Values, PixelDataDecoder.DecodeFrame(twoFrames, 0).Values);
        Assert.Equal(PixelDataDecoder.DecodeFrame(nearLossless).Values, PixelDataDecoder.DecodeFrame(twoFrames, 1).Values);
        Assert.NotEqual(PixelDataDecoder.DecodeFrame(twoFrames, 0).Values, PixelDataDecoder.DecodeFrame(twoFrames, 1).Values);
        var e = Assert.Throws<DicomReadException>(() => PixelDataDecoder.DecodeFrame(twoFrames, 2));
        Assert.Equal("two-frames", e.Path);
    }

    [Fact]
    public void An_offset_table_that_points_between_fragments_is_an_error()
    {
        var pixels = new EncapsulatedPixelData([0u, 5u], [new byte[10], new byte[10]]);
        var e = Assert.Throws<InvalidOperationException>(() => pixels.Frames(2, why => new InvalidOperationException(why)));
        Assert.Contains("does not start a fragment", e.Message);
    }
}
