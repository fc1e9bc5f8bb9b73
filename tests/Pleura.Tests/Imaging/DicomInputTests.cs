using System.Text;
using Pleura.Imaging;
using Pleura.Tests.Dicom;

namespace Pleura.Tests.Imaging;

/// <summary>DICOM files are read by <see cref="RadiographReader"/> like any image: rendered to 16 bits, resized as a 16-bit PNG would be.</summary>
public class DicomInputTests
{
    static string PhantomPng(TempFolder dir, int size = 64)
    {
        var phantom = Pleura.Phantoms.PhantomDataset.RenderOne(seed: 3, index: 0, size: size, leftGrade: 2, rightGrade: 1);
        var path = dir.File("phantom.png");
        PngWriter.Write(new GreyImage(size, size, phantom.Image), path);
        return path;
    }

    /// <summary>Read at full size gives the renderer's 16-bit values (scaled to 0..1) and says the source had 16 bits.</summary>
    [SkippableFact]
    public void DicomIsReadThroughTheRenderer()
    {
        DicomPhantoms.RequireDcmtk();
        using var dir = new TempFolder();
        var dcm = DicomPhantoms.FromPng(PhantomPng(dir), dir.File("IM0001"), "Modality=CR");
        var rendered = RadiographReader.RenderDicom(dcm);
        var image = RadiographReader.Read(dcm);
        Assert.Equal((64, 64, 16), (image.Width, image.Height, image.SourceBitDepth));
        Assert.Equal(rendered.Pixels, image.ToUInt16());
        Assert.Contains("min-max window", rendered.Record.VoiTransform); // img2dcm writes no window
        Assert.True(rendered.Pixels.Max() == 65535 && rendered.Pixels.Min() == 0);
    }

    /// <summary>
    /// Resizing a DICOM equals resizing the same rendered pixels saved as a 16-bit PNG, down and up, square and not
    /// (both come out of libvips' thumbnail, which today returns 8 bits for a 16-bit input on either path).
    /// </summary>
    [SkippableFact]
    public void ResizedDicomEqualsTheSamePixelsAsA16BitPng()
    {
        DicomPhantoms.RequireDcmtk();
        using var dir = new TempFolder();
        var dcm = DicomPhantoms.FromPng(PhantomPng(dir, 96), dir.File("a.dcm"), "Modality=CR");
        AssertResizesLikePng(dcm, dir);
    }

    [SkippableFact]
    public void SharedDicomFilesResizeLikeTheirPngs()
    {
        // A bare dataset without an extension (MONOCHROME1), and a 1760x2140 JPEG-LS image with a window.
        foreach (var name in new[] { "CR-MONO1-10-chest", "RG2_JLSL.dcm" })
        {
            using var dir = new TempFolder();
            AssertResizesLikePng(SharedFolder.Require("data", "dicom", name), dir);
        }
    }

    static void AssertResizesLikePng(string dcm, TempFolder dir)
    {
        var rendered = RadiographReader.RenderDicom(dcm);
        var png = dir.File("same-pixels.png");
        PngWriter.WriteGrey16(png, rendered.Pixels, rendered.Width, rendered.Height);
        Assert.Equal(rendered.Pixels, RadiographReader.Read(dcm).ToUInt16());
        foreach (var (w, h) in new[] { (40, 40), (224, 224), (50, 30), (rendered.Width * 2, rendered.Height) })
        {
            var fromDicom = RadiographReader.ReadResized(dcm, w, h);
            var fromPng = RadiographReader.ReadResized(png, w, h);
            Assert.Equal((w, h), (fromDicom.Width, fromDicom.Height));
            Assert.Equal(fromPng.SourceBitDepth, fromDicom.SourceBitDepth);
            Assert.Equal(fromPng.Pixels, fromDicom.Pixels);
        }
    }

    /// <summary>
    /// Class folders (pretraining sources) and manifests (a row's path a DICOM file) read DICOM through the same
    /// reader: the pixels equal <see cref="RadiographReader.ReadResized"/>'s.
    /// </summary>
    [SkippableFact]
    public void ClassFoldersAndManifestsReadDicom()
    {
        DicomPhantoms.RequireDcmtk();
        using var dir = new TempFolder();
        var png = PhantomPng(dir);
        var inFolder = DicomPhantoms.FromPng(png, dir.File("set/normal/IM0001"), "Modality=CR");
        DicomPhantoms.FromPng(png, dir.File("set/opacity/b.dcm"), "Modality=CR");
        File.Copy(png, dir.File("set/opacity/c.png"));
        var decoded = Pleura.Datasets.LabelledSource.Decode(dir.File("set"), null, null, 32, Pleura.Imaging.ErrorPolicy.Strict, dir.File("left-out.txt"), _ => { });
        Assert.Equal(new[] { "IM0001", "b.dcm", "c.png" }, decoded.Items.Select(i => Path.GetFileName(i.Path)));
        Assert.Equal(new[] { 0, 1, 1 }, decoded.Labels);
        Assert.Equal(RadiographReader.ReadResized(inFolder, 32, 32).Pixels, decoded.Pixels[0]);

        var row = new Pleura.Data.ManifestRow { ImageId = "x1", Path = "set/normal/IM0001", PatientId = "P1" };
        var manifest = new Pleura.Data.Manifest([row], [], dir.Path);
        var cache = Pleura.Datasets.ImageCache.Load(manifest, manifest.Rows, 48, Pleura.Imaging.ErrorPolicy.Strict);
        Assert.Equal(RadiographReader.ReadResized(inFolder, 48, 48).Pixels, cache["x1"]);
    }

    /// <summary>Folders list .dcm / .dicom files and extensionless files with the DICM marker or a bare dataset's first
    /// element; not DICOMDIR, not other extensionless files.</summary>
    [Fact]
    public void FoldersListDicomFilesButNotDicomDir()
    {
        using var dir = new TempFolder();
        var part10 = new byte[300];
        Encoding.ASCII.GetBytes("DICM").CopyTo(part10, 128);
        File.WriteAllBytes(dir.File("a.dcm"), [1, 2, 3]);
        File.WriteAllBytes(dir.File("b.DICOM"), part10);
        File.WriteAllBytes(dir.File("IM0001"), part10);
        // A bare dataset (ACR-NEMA style, no preamble, no "DICM"), as old exports write them: (0008,0000) UL 4, implicit VR.
        File.WriteAllBytes(dir.File("IM0002"), [0x08, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x1e, 0x01, 0x00, 0x00]);
        File.WriteAllBytes(dir.File("DICOMDIR"), part10);
        File.WriteAllText(dir.File("README"), "not an image");
        File.WriteAllBytes(dir.File("short"), [0x44, 0x49]);
        PngWriter.WriteGrey8(dir.File("c.png"), new byte[32 * 32], 32, 32);
        var listed = RadiographReader.ImageFiles(dir.Path).Select(Path.GetFileName).ToList();
        Assert.Equal(new[] { "IM0001", "IM0002", "a.dcm", "b.DICOM", "c.png" }, listed);
    }

    /// <summary>The DICOM reader's errors come out as ImageReadException with its reason; the minimum size holds for DICOM too.</summary>
    [SkippableFact]
    public void DicomErrorsBecomeImageReadExceptionsWithTheReason()
    {
        using var dir = new TempFolder();
        var part10 = new byte[400];
        Encoding.ASCII.GetBytes("DICM").CopyTo(part10, 128);
        File.WriteAllBytes(dir.File("empty-meta.dcm"), part10);
        var e = Assert.Throws<ImageReadException>(() => RadiographReader.Read(dir.File("empty-meta.dcm")));
        Assert.Equal(dir.File("empty-meta.dcm"), e.Path);
        Assert.Contains("'DICM' marker is not followed by file meta information", e.Reason);
        File.WriteAllText(dir.File("text.dcm"), "hello, this is not DICOM at all");
        Assert.Contains("not a DICOM file", Assert.Throws<ImageReadException>(() => RadiographReader.ReadResized(dir.File("text.dcm"), 32, 32)).Reason);

        File.WriteAllText(dir.File("README"), "hello, this is not an image either");
        Assert.Equal("not a recognised image format (expected PNG, JPEG, TIFF or DICOM)",
            Assert.Throws<ImageReadException>(() => RadiographReader.Read(dir.File("README"))).Reason);

        DicomPhantoms.RequireDcmtk();
        PngWriter.WriteGrey8(dir.File("tiny.png"), new byte[16 * 24], 16, 24);
        var tiny = DicomPhantoms.FromPng(dir.File("tiny.png"), dir.File("tiny.dcm"), "Modality=CR");
        Assert.Contains("too small to be a radiograph: 16x24 pixels", Assert.Throws<ImageReadException>(() => RadiographReader.Read(tiny)).Reason);
        var bytes = File.ReadAllBytes(DicomPhantoms.FromPng(PhantomPng(dir), dir.File("whole.dcm"), "Modality=CR"));
        File.WriteAllBytes(dir.File("truncated.dcm"), bytes[..(bytes.Length - 200)]);
        Assert.Contains("truncated or corrupt", Assert.Throws<ImageReadException>(() => RadiographReader.ReadResized(dir.File("truncated.dcm"), 64, 64)).Reason);
    }
}
