using Pleura.Dicom.Rendering;

namespace Pleura.Dicom.Tests;

/// <summary>
/// VOI choices the shared files do not exercise, made with dcmodify and checked against dcm2pnm: several windows,
/// and a VOI LUT Sequence.
/// </summary>
public class RenderTests
{
    [SkippableFact]
    public void Of_several_windows_the_first_is_taken_and_recorded_and_the_second_can_be_asked_for()
    {
        var path = SharedDicom.Require("RG3_UNC.dcm");
        Tools.Require("dcmodify", "dcm2pnm");
        using var temp = new TempFolder();
        var copy = Tools.ModifiedCopy(path, temp, "-m", @"WindowCenter=550\300", "-m", @"WindowWidth=1024\201",
            "-i", @"WindowCenterWidthExplanation=NORMAL\BONE");

        var first = DicomRenderer.Render(copy);
        Assert.Equal((550.0, 1024.0), (first.Record.WindowCenter, first.Record.WindowWidth));
        Assert.Contains("1st of 2 in the file, NORMAL", first.Record.VoiTransform);
        AssertWithinOne(Reference.Rendered(copy, temp, "+Wi", "1"), first.Pixels);

        var second = DicomRenderer.Render(copy, new RenderOptions(WindowIndex: 1));
        Assert.Equal((300.0, 201.0), (second.Record.WindowCenter, second.Record.WindowWidth));
        Assert.Contains("2nd of 2 in the file, BONE", second.Record.VoiTransform);
        AssertWithinOne(Reference.Rendered(copy, temp, "+Wi", "2"), second.Pixels);

        Assert.Throws<DicomReadException>(() => DicomRenderer.Render(copy, new RenderOptions(WindowIndex: 2)));
    }

    [SkippableFact]
    public void A_VOI_LUT_Sequence_renders_as_dcm2pnm_renders_it()
    {
        var path = SharedDicom.Require("RG3_UNC.dcm");
        Tools.Require("dcmodify", "dcm2pnm");
        using var temp = new TempFolder();
        // A 12-bit gamma curve over the 10-bit stored range, from 100 on (values below take the first entry).
        const int entries = 900, first = 100;
        var lut = Enumerable.Range(0, entries).Select(i => (ushort)Math.Round(4095 * Math.Pow(i / (entries - 1.0), 0.5))).ToArray();
        var lutFile = temp.File("lut.raw");
        File.WriteAllBytes(lutFile, lut.SelectMany(BitConverter.GetBytes).ToArray());
        var copy = Tools.ModifiedCopy(path, temp, "-e", "WindowCenter", "-e", "WindowWidth",
            "-i", $@"(0028,3010)[0].(0028,3002)={entries}\{first}\12",
            "-i", "(0028,3010)[0].(0028,3003)=GAMMA",
            "-if", $"(0028,3010)[0].(0028,3006)={lutFile}");

        var image = DicomRenderer.Render(copy);
        Assert.StartsWith("VOI LUT Sequence (1st of 1, 900 entries from 100, 12 bits, GAMMA)", image.Record.VoiTransform);
        Assert.Null(image.Record.WindowCenter);
        AssertWithinOne(Reference.Rendered(copy, temp, "+Wl", "1"), image.Pixels);
    }

    /// <summary>
    /// Presentation LUT Shape decides the inversion when given, as in dcm2pnm: INVERSE inverts a MONOCHROME2 image and
    /// leaves MONOCHROME1 inverted once (the DX IOD's pairing), IDENTITY leaves MONOCHROME1 uninverted.
    /// </summary>
    [SkippableTheory]
    [InlineData("RG2_UNC.dcm", "INVERSE", true)]
    [InlineData("RG2_UNC.dcm", "IDENTITY", false)]
    [InlineData("RG3_UNC.dcm", "INVERSE", true)]
    [InlineData("RG3_UNC.dcm", "IDENTITY", false)]
    public void Presentation_LUT_Shape_inverts_as_dcm2pnm_does(string name, string shape, bool inverted)
    {
        var path = SharedDicom.Require(name);
        Tools.Require("dcmodify", "dcm2pnm");
        using var temp = new TempFolder();
        var copy = Tools.ModifiedCopy(path, temp, "-i", $"PresentationLUTShape={shape}");
        var plain = DicomRenderer.Render(path);
        var image = DicomRenderer.Render(copy);
        Assert.Equal(inverted, image.Record.Inverted);
        Assert.Contains(shape == "INVERSE" ? "Presentation LUT Shape INVERSE" : name == "RG3_UNC.dcm" ? "Presentation LUT Shape IDENTITY" : "MONOCHROME2", image.Record.Inversion);
        AssertWithinOne(Reference.Rendered(copy, temp, "+Wi", "1"), image.Pixels);
        // The shape flips the output of the same file without it exactly when it disagrees with the photometric.
        bool flips = inverted != plain.Record.Inverted;
        Assert.Equal(flips, image.Pixels.Zip(plain.Pixels).Any(p => p.First != p.Second));
    }

    static void AssertWithinOne(int[] reference, ushort[] pixels)
    {
        Assert.Equal(reference.Length, pixels.Length);
        int worst = reference.Select((r, i) => Math.Abs(r - pixels[i])).Max();
        Assert.True(worst <= 1, $"a rendered pixel differs by {worst} grey levels from dcm2pnm's");
    }
}
