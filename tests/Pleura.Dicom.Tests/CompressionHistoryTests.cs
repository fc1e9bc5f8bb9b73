using Pleura.Dicom.Writing;

namespace Pleura.Dicom.Tests;

/// <summary>Compression is told apart from processing: curation keeps compressed images and leaves out processed ones.</summary>
public class CompressionHistoryTests
{
    static DicomDatasetBuilder Image(string imageType) => new DicomDatasetBuilder()
        .Texts(DicomTag.ImageType, "CS", imageType.Split('\\'));

    static DicomDataset Code(string value) => new DicomDatasetBuilder().Text(DicomTag.CodeValue, "SH", value).Build();

    [Fact]
    public void AnOriginalUncompressedImageIsNeitherLossyNorProcessed()
    {
        var h = CompressionHistory.Of(Image("ORIGINAL\\PRIMARY").Build(), TransferSyntax.ExplicitVRLittleEndian);
        Assert.Equal(new CompressionHistory(false, false, ""), h);
    }

    [Theory]
    [InlineData("Lossless JPEG compression, selection value 1, point transform 0, compression ratio 2.1")] // dcmcjpeg
    [InlineData("JPEG-LS lossless")]
    public void ALosslessCompressionRecordedAsADerivationIsNotProcessing(string description)
    {
        var d = Image("ORIGINAL\\PRIMARY").Text(DicomTag.DerivationDescription, "ST", description).Build();
        var h = CompressionHistory.Of(d, TransferSyntax.JpegLosslessSV1);
        Assert.False(h.PostProcessed, h.Evidence);
        Assert.False(h.Lossy);
    }

    [Fact]
    public void ALossyCompressionThatMadeTheImageDerivedIsLossyNotProcessed()
    {
        // What dcmcjpeg --encode-baseline writes (and the shared RG1 files, JPEG 2000 and JPEG-LS near-lossless).
        var d = Image("DERIVED\\PRIMARY")
            .Text(DicomTag.DerivationDescription, "ST", "JPEG 2000 irreversible (lossy) 10:1")
            .Sequence(DicomTag.DerivationCodeSequence, Code(CompressionHistory.LossyCompressionCode))
            .Text(DicomTag.LossyImageCompression, "CS", "01")
            .Build();
        var h = CompressionHistory.Of(d, TransferSyntax.Jpeg2000);
        Assert.True(h.Lossy);
        Assert.False(h.PostProcessed, h.Evidence);
    }

    [Fact]
    public void ALossyTransferSyntaxAloneMakesAnImageLossy()
    {
        Assert.True(CompressionHistory.Of(Image("ORIGINAL\\PRIMARY").Build(), TransferSyntax.JpegBaseline).Lossy);
        Assert.False(CompressionHistory.Of(Image("ORIGINAL\\PRIMARY").Build(), TransferSyntax.RleLossless).Lossy);
    }

    [Theory]
    [InlineData("DERIVED\\SECONDARY", null, null, "Image Type SECONDARY")]
    [InlineData("ORIGINAL\\SECONDARY", null, null, "Image Type SECONDARY")]
    [InlineData("DERIVED\\PRIMARY", null, null, "Image Type DERIVED")]
    [InlineData("ORIGINAL\\PRIMARY", "Edge enhancement, unsharp mask", null, "Derivation Description")]
    [InlineData("ORIGINAL\\PRIMARY", "Lossless JPEG compression; rotated 90 degrees", null, "Derivation Description")]
    [InlineData("DERIVED\\PRIMARY", null, "113072", "Derivation Code 113072")]
    public void EvidenceOfProcessingOtherThanCompressionIsPostProcessing(string imageType, string? description, string? code, string evidence)
    {
        var b = Image(imageType);
        if (description is not null) b.Text(DicomTag.DerivationDescription, "ST", description);
        if (code is not null) b.Sequence(DicomTag.DerivationCodeSequence, Code(code));
        var h = CompressionHistory.Of(b.Build(), TransferSyntax.ExplicitVRLittleEndian);
        Assert.True(h.PostProcessed);
        Assert.StartsWith(evidence, h.Evidence);
    }
}
