using Pleura.Dicom.Rendering;
using Xunit.Abstractions;

namespace Pleura.Dicom.Tests;

/// <summary>
/// Every file of shared/data/dicom against the reference decoders: stored values (dcmtk's dcmdjpeg / dcmdjpls /
/// dcmdrle / the native data; opj_decompress for JPEG 2000, which dcmtk 3.6.7 lacks) and the rendered 16-bit image
/// (dcm2pnm with the same window).
/// </summary>
public class DcmtkParityTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Files() => SharedDicom.Files();

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void Stored_values_equal_the_reference_decoder(string name)
    {
        var path = SharedDicom.Require(name);
        Tools.Require("dcmdump", "dcmdjpeg", "dcmdjpls", "dcmdrle", "opj_decompress");
        using var temp = new TempFolder();
        var file = DicomFileReader.Read(path);
        Assert.Equal(SharedDicom.IndexedSyntax(name), file.HasFileMeta ? file.TransferSyntax.Uid : "");
        var ours = PixelDataDecoder.DecodeFrame(file);
        var reference = Reference.StoredValues(path, file.TransferSyntax, ours.Format, temp);

        Assert.Equal(reference.Length, ours.Values.Length);
        int differing = 0, worst = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            int d = Math.Abs(reference[i] - ours.Values[i]);
            if (d != 0) { differing++; worst = Math.Max(worst, d); }
        }
        output.WriteLine($"{name} {file.TransferSyntax}: {differing} of {reference.Length} stored values differ, by at most {worst}");
        Assert.Equal(0, differing);
    }

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void Rendered_image_equals_dcm2pnm_within_one_grey_level(string name)
    {
        var path = SharedDicom.Require(name);
        Tools.Require("dcmdump", "dcmdjpeg", "dcmdjpls", "dcmdrle", "opj_decompress", "dcm2pnm");
        using var temp = new TempFolder();
        var file = DicomFileReader.Read(path);
        var decoded = PixelDataDecoder.DecodeFrame(file);
        var native = Reference.Decompressed(path, file.TransferSyntax, temp);
        if (native is null)
        {
            // dcmtk cannot read JPEG 2000: it renders a native copy of the file holding opj_decompress's pixels
            // (equal to ours, as the test above checks).
            native = temp.File("native.dcm");
            NativeWriter.Write(file, Reference.StoredValues(path, file.TransferSyntax, decoded.Format, temp), native);
        }
        bool hasWindow = file.Dataset.Contains(DicomTag.WindowCenter);
        var image = DicomRenderer.Render(decoded, file.Dataset);
        var reference = Reference.Rendered(native, temp, hasWindow ? ["+Wi", "1"] : ["+Wm"]);
        AssertWithinOneGreyLevel(name, image, reference);
        Assert.Equal(file.Dataset.PhotometricInterpretation == "MONOCHROME1", image.Record.Inverted);
        Assert.StartsWith(hasWindow ? "window " : "min-max window ", image.Record.VoiTransform);
        output.WriteLine($"{name}: {image.Record}");
    }

    /// <summary>
    /// The JPEG processes and options the shared files do not cover, made by dcmcjpeg from native files: lossless
    /// with every predictor and a point transform, extended 12-bit and baseline at two qualities.
    /// </summary>
    public static IEnumerable<object[]> DcmcjpegRuns()
    {
        const string chest = "CR-MONO1-10-chest", chest8Bit = "c64d5667-a776-4f95-9e21-bfabafb07740.dcm";
        yield return [chest, "1.2.840.10008.1.2.4.70", new[] { "+e1" }];
        foreach (var predictor in Enumerable.Range(1, 7))
            yield return [chest, "1.2.840.10008.1.2.4.57", new[] { "+el", "+sv", $"{predictor}" }];
        yield return [chest, "1.2.840.10008.1.2.4.57", new[] { "+el", "+pt", "2" }];
        foreach (var quality in new[] { "75", "100" }) yield return [chest, "1.2.840.10008.1.2.4.51", new[] { "+ee", "+q", quality }];
        foreach (var quality in new[] { "30", "95" }) yield return [chest8Bit, "1.2.840.10008.1.2.4.50", new[] { "+eb", "+q", quality }];
    }

    [SkippableTheory]
    [MemberData(nameof(DcmcjpegRuns))]
    public void Jpeg_written_by_dcmcjpeg_decodes_as_dcmdjpeg_decodes_it(string name, string uid, string[] options)
    {
        var path = SharedDicom.Require(name);
        Tools.Require("dcmcjpeg", "dcmdjpeg", "dcmdump");
        using var temp = new TempFolder();
        var original = DicomFileReader.Read(path);
        var native = Reference.Decompressed(path, original.TransferSyntax, temp)!;
        var compressed = temp.File("compressed.dcm");
        Tools.Run("dcmcjpeg", temp.Path, [.. options, native, compressed]);

        var file = DicomFileReader.Read(compressed);
        Assert.Equal(uid, file.TransferSyntax.Uid);
        var ours = PixelDataDecoder.DecodeFrame(file);
        Assert.Equal(Reference.StoredValues(compressed, file.TransferSyntax, ours.Format, temp), ours.Values);
    }

    /// <summary>
    /// Restart intervals (which dcmcjpeg cannot write): cjpeg (libjpeg-turbo-progs) compresses an 8-bit image with
    /// restart markers, img2dcm wraps it as JPEG baseline, and dcmdjpeg is the reference.
    /// </summary>
    [SkippableTheory]
    [InlineData("1")]
    [InlineData("5B")]
    public void Jpeg_with_restart_intervals_decodes_as_dcmdjpeg_decodes_it(string restart)
    {
        var path = SharedDicom.Require("c64d5667-a776-4f95-9e21-bfabafb07740.dcm");
        Tools.Require("cjpeg", "img2dcm", "dcmdjpeg", "dcmdump");
        using var temp = new TempFolder();
        var source = PixelDataDecoder.DecodeFrame(path);
        var pgm = temp.File("source.pgm");
        File.WriteAllBytes(pgm, [.. System.Text.Encoding.ASCII.GetBytes($"P5 {source.Width} {source.Height} 255\n"), .. source.Values.Select(v => (byte)v)]);
        var jpeg = temp.File("restart.jpg");
        Tools.Run("cjpeg", temp.Path, "-grayscale", "-quality", "80", "-restart", restart, "-outfile", jpeg, pgm);
        var wrapped = temp.File("restart.dcm");
        Tools.Run("img2dcm", temp.Path, jpeg, wrapped);

        var file = DicomFileReader.Read(wrapped);
        Assert.Equal(TransferSyntax.JpegBaseline, file.TransferSyntax);
        Assert.True(File.ReadAllBytes(jpeg).AsSpan().IndexOf([(byte)0xFF, (byte)0xDD]) > 0, "cjpeg wrote no restart interval");
        var ours = PixelDataDecoder.DecodeFrame(file);
        Assert.Equal(Reference.StoredValues(wrapped, file.TransferSyntax, ours.Format, temp), ours.Values);
    }

    [SkippableFact]
    public void Signed_pixels_render_as_dcm2pnm_renders_them()
    {
        var path = SharedDicom.Require("CR-MONO1-10-chest");
        Tools.Require("dcmodify", "dcm2pnm");
        using var temp = new TempFolder();
        // The same 10-bit words read as two's complement: values with bit 9 set become negative.
        var signed = Tools.ModifiedCopy(path, temp, "-m", "PixelRepresentation=1", "-m", "WindowCenter=0", "-m", "WindowWidth=700");
        var image = DicomRenderer.Render(signed);
        var frame = PixelDataDecoder.DecodeFrame(signed);
        Assert.True(frame.Format.Signed);
        Assert.Contains(frame.Values, v => v < 0);
        Assert.All(frame.Values, v => Assert.InRange(v, -512, 511));
        AssertWithinOneGreyLevel("signed", image, Reference.Rendered(signed, temp, "+Wi", "1"));
        var minMax = DicomRenderer.Render(signed, new RenderOptions(MinMax: true));
        AssertWithinOneGreyLevel("signed, min-max", minMax, Reference.Rendered(signed, temp, "+Wm"));
    }

    [SkippableFact]
    public void A_window_set_by_the_caller_renders_as_dcm2pnm_with_the_same_window()
    {
        var path = SharedDicom.Require("RG3_UNC.dcm");
        Tools.Require("dcm2pnm");
        using var temp = new TempFolder();
        var image = DicomRenderer.Render(path, new RenderOptions(WindowCenter: 300.5, WindowWidth: 201));
        AssertWithinOneGreyLevel("RG3_UNC.dcm", image, Reference.Rendered(path, temp, "+Ww", "300.5", "201"));
        Assert.Equal(300.5, image.Record.WindowCenter);
        Assert.Contains("set by the caller", image.Record.VoiTransform);
    }

    void AssertWithinOneGreyLevel(string name, GreyImage16 image, int[] reference)
    {
        Assert.Equal(reference.Length, image.Pixels.Length);
        int worst = 0, differing = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            int d = Math.Abs(reference[i] - image.Pixels[i]);
            if (d != 0) differing++;
            worst = Math.Max(worst, d);
        }
        output.WriteLine($"{name}: {differing} of {reference.Length} grey levels differ from dcm2pnm's, by at most {worst}");
        Assert.True(worst <= 1, $"{name}: a rendered pixel differs by {worst} grey levels from dcm2pnm's");
    }
}
