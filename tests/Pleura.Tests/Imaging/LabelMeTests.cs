using Pleura.Datasets;
using Pleura.Imaging;

namespace Pleura.Tests.Imaging;

public class LabelMeTests
{
    const string Annotation = """
        { "version": "5.2.1", "imagePath": "x.png", "imageWidth": 200, "imageHeight": 100,
          "shapes": [
            { "label": "right_lung", "shape_type": "polygon", "points": [[20, 10], [80, 10], [80, 90], [20, 90]] },
            { "label": "left_lung", "shape_type": "polygon", "points": [[120, 10], [180, 10], [150, 90]] },
            { "label": "opacity", "shape_type": "rectangle", "points": [[130, 20], [150, 40]] } ] }
        """;

    [Fact]
    public void PolygonsAreRasterisedPerLabelAtAnySize()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("x.json"), Annotation);
        var right = MaskReader.ReadResized(dir.File("x.json"), "right_lung", 100, 50);
        // A 60 x 80 rectangle of a 200 x 100 image is 30 x 40 pixels at half size.
        Assert.Equal(30 * 40, right.Pixels.Count(v => v > 0));
        Assert.Equal(1f, right[25, 25]);
        Assert.Equal(0f, right[75, 25]);
        var left = MaskReader.ReadResized(dir.File("x.json"), "left_lung", 200, 100);
        Assert.InRange(left.Pixels.Count(v => v > 0), 0.5 * 60 * 80 - 80, 0.5 * 60 * 80 + 80);   // a triangle: half its box
        Assert.Equal(20 * 20, MaskReader.ReadResized(dir.File("x.json"), "opacity", 200, 100).Pixels.Count(v => v > 0));
        var both = MaskReader.ReadResized(dir.File("x.json"), "lung", 200, 100);
        Assert.Equal(right.Pixels.Count(v => v > 0) * 4 + left.Pixels.Count(v => v > 0), both.Pixels.Count(v => v > 0));

        var missing = Assert.Throws<ImageReadException>(() => MaskReader.ReadResized(dir.File("x.json"), "heart", 64, 64));
        Assert.Contains("no polygon labelled 'heart'", missing.Message);
        File.WriteAllText(dir.File("bad.json"), "{ not json");
        Assert.Contains("bad.json", Assert.Throws<ImageReadException>(() => MaskReader.ReadResized(dir.File("bad.json"), "opacity", 64, 64)).Message);
    }

    [Fact]
    public void SegmentationFindsLabelMeFilesBesideTheImages()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir.File("imgs"));
        File.WriteAllText(dir.File("imgs/x.json"), Annotation);
        Assert.Equal(dir.File("imgs/x.json"), new StructureMasks("left_lung", dir.File("imgs")).MaskFor("x.png"));
    }
}
