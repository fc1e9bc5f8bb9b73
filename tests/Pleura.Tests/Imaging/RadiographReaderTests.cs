using NetVips;
using Pleura.Imaging;

namespace Pleura.Tests.Imaging;

public class RadiographReaderTests
{
    static GreyImage Gradient(int w, int h) =>
        new(w, h, Enumerable.Range(0, w * h).Select(i => (float)((i % w) / (double)(w - 1))).ToArray());

    [Fact]
    public void Png8RoundTripsExactly()
    {
        using var dir = new TempFolder();
        var image = Gradient(64, 32);
        PngWriter.Write(image, dir.File("a.png"));
        var back = RadiographReader.Read(dir.File("a.png"));
        Assert.Equal((64, 32, 8), (back.Width, back.Height, back.SourceBitDepth));
        Assert.Equal(image.ToBytes(), back.ToBytes());
    }

    [Fact]
    public void Png16KeepsSixteenBitPrecision()
    {
        using var dir = new TempFolder();
        var values = Enumerable.Range(0, 40 * 32).Select(i => (ushort)(i * 51)).ToArray();
        PngWriter.WriteGrey16(dir.File("b.png"), values, 40, 32);
        var back = RadiographReader.Read(dir.File("b.png"));
        Assert.Equal(16, back.SourceBitDepth);
        Assert.Equal(values, back.ToUInt16());
    }

    [Fact]
    public void ResizedSixteenBitImagesKeepSixteenBits()
    {
        using var dir = new TempFolder();
        // A smooth 16-bit ramp: after a 4x reduction it still has far more than 256 levels, unless it went through 8 bits.
        int w = 256, h = 128;
        var values = Enumerable.Range(0, w * h).Select(i => (ushort)(i % w * 256 + i / w)).ToArray();
        PngWriter.WriteGrey16(dir.File("ramp.png"), values, w, h);
        var small = RadiographReader.ReadResized(dir.File("ramp.png"), 64, 32);
        Assert.Equal((64, 32, 16), (small.Width, small.Height, small.SourceBitDepth));
        Assert.True(small.ToUInt16().Distinct().Count() > 1000, $"{small.ToUInt16().Distinct().Count()} levels");
        // The content is the ramp: left dark, right bright, monotone along a row.
        var row = Enumerable.Range(0, 64).Select(x => small.Pixels[10 * 64 + x]).ToArray();
        Assert.True(row.Zip(row.Skip(1)).All(p => p.Second >= p.First));
        Assert.InRange(row[0], 0f, 0.05f);
        Assert.InRange(row[^1], 0.95f, 1f);
    }

    [Fact]
    public void JpegTiffAndColourAreReadAsGrey()
    {
        using var dir = new TempFolder();
        var bytes = Gradient(48, 48).ToBytes();
        using (var grey = Image.NewFromMemory(bytes, 48, 48, 1, Enums.BandFormat.Uchar))
        {
            grey.Jpegsave(dir.File("c.jpg"), q: 95);
            grey.Tiffsave(dir.File("d.tif"));
            using var rgb = grey.Bandjoin(grey, grey).Copy(interpretation: Enums.Interpretation.Srgb);
            rgb.Pngsave(dir.File("e.png"));
            using var rgba = grey.Bandjoin(grey, grey, grey.NewFromImage(255)).Copy(interpretation: Enums.Interpretation.Srgb);
            rgba.Pngsave(dir.File("f.png"));
        }
        foreach (var name in new[] { "c.jpg", "d.tif", "e.png", "f.png" })
        {
            var image = RadiographReader.Read(dir.File(name));
            Assert.Equal((48, 48), (image.Width, image.Height));
            // Left edge black, right edge white, whatever the container.
            Assert.True(image[0, 24] < 0.05 && image[47, 24] > 0.95, $"{name}: {image[0, 24]} .. {image[47, 24]}");
        }
    }

    [Fact]
    public void ResizeGivesTheExactTargetAndKeepsTheContent()
    {
        using var dir = new TempFolder();
        PngWriter.Write(Gradient(400, 300), dir.File("g.png"));
        var small = RadiographReader.ReadResized(dir.File("g.png"), 224, 224);
        Assert.Equal((224, 224), (small.Width, small.Height));
        Assert.InRange(small.Mean(), 0.47, 0.53);
        Assert.True(small[200, 100] > small[20, 100]);
    }

    [Fact]
    public void BadFilesNameTheFileAndTheReason()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("empty.png"), Array.Empty<byte>());
        File.WriteAllText(dir.File("notes.png"), "patient,grade\n1,2\n");
        PngWriter.Write(Gradient(256, 256), dir.File("whole.png"));
        var whole = File.ReadAllBytes(dir.File("whole.png"));
        File.WriteAllBytes(dir.File("truncated.png"), whole[..(whole.Length / 2)]);

        void Expect(string name, string reason)
        {
            var e = Assert.Throws<ImageReadException>(() => RadiographReader.Read(dir.File(name)));
            Assert.Equal(dir.File(name), e.Path);
            Assert.Contains(reason, e.Reason);
            Assert.Contains(dir.File(name), e.Message);
        }
        Expect("missing.png", "not found");
        Expect("empty.png", "empty");
        Expect("notes.png", "not a recognised image");
        Expect("truncated.png", "corrupt or truncated");
        Assert.Throws<ImageReadException>(() => RadiographReader.ReadResized(dir.File("truncated.png"), 64, 64));
    }

    /// <summary>
    /// libvips keeps one error buffer per process: a text file given as PNG leaves "... is not a known file format"
    /// there, and a truncated PNG read after it, or at the same time, reported that (another request's file) as its
    /// own reason. Each broken file, read one after another and from many threads at once, gets the reason it gets alone.
    /// </summary>
    [Fact]
    public void ConcurrentBrokenImagesEachReportTheirOwnReason()
    {
        using var dir = new TempFolder();
        PngWriter.Write(Gradient(256, 256), dir.File("whole.png"));
        var whole = File.ReadAllBytes(dir.File("whole.png"));
        var badCrc = whole.ToArray();
        badCrc[29] ^= 0xFF; // the IHDR chunk's CRC
        var kinds = new Dictionary<string, byte[]>
        {
            ["truncated"] = whole[..(whole.Length / 2)],
            ["badcrc"] = badCrc,
            ["notes"] = "patient,grade\n1,2\n"u8.ToArray(),
        };
        var files = new List<(string Kind, string Path)>();
        foreach (var (kind, bytes) in kinds)
            for (int i = 0; i < 6; i++)
            {
                var path = dir.File($"{kind}{i}.png");
                File.WriteAllBytes(path, bytes);
                files.Add((kind, path));
            }
        string Reason(string path)
        {
            var e = Assert.Throws<ImageReadException>(() => RadiographReader.ReadResized(path, 64, 64));
            return e.Reason.Replace(path, "<file>", StringComparison.Ordinal);
        }
        // Each kind alone first (nothing read before it), then every file in turn, then all at once, many times over.
        var alone = kinds.Keys.ToDictionary(k => k, k => Reason(files.First(f => f.Kind == k).Path));
        Assert.Contains("not a recognised image format", alone["notes"]);
        Assert.NotEqual(alone["truncated"], alone["badcrc"]);
        foreach (var (kind, path) in files.OrderBy(f => f.Kind == "notes" ? 0 : 1)) Assert.Equal(alone[kind], Reason(path));
        var concurrent = new System.Collections.Concurrent.ConcurrentBag<(string Kind, string Reason)>();
        Parallel.For(0, 20 * files.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var (kind, path) = files[i % files.Count];
            try { RadiographReader.ReadResized(path, 64, 64); }
            catch (ImageReadException e) { concurrent.Add((kind, e.Reason.Replace(path, "<file>", StringComparison.Ordinal))); }
        });
        Assert.Equal(20 * files.Count, concurrent.Count);
        foreach (var (kind, reason) in concurrent) Assert.Equal(alone[kind], reason);
    }

    [Fact]
    public void BatchCarriesOnOrStopsAsAsked()
    {
        using var dir = new TempFolder();
        PngWriter.Write(Gradient(32, 32), dir.File("ok1.png"));
        PngWriter.Write(Gradient(32, 32), dir.File("ok2.png"));
        File.WriteAllText(dir.File("bad.png"), "not an image");
        var paths = new[] { dir.File("ok1.png"), dir.File("bad.png"), dir.File("ok2.png") };

        var result = ImageBatch.Read(paths, RadiographReader.Read, ErrorPolicy.Continue, threads: 2);
        Assert.NotNull(result.Images[0]);
        Assert.Null(result.Images[1]);
        Assert.NotNull(result.Images[2]);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(dir.File("bad.png"), failure.Path);

        var e = Assert.Throws<ImageReadException>(() => ImageBatch.Read(paths, RadiographReader.Read, ErrorPolicy.Strict, threads: 1));
        Assert.Equal(dir.File("bad.png"), e.Path);
    }

    [SkippableFact]
    public void ReadsTheRealJsrtAndCohenImages()
    {
        var jsrt = SharedFolder.Require("data", "jsrt-scr", "fullres", "JPCLN001.png");
        var image = RadiographReader.ReadResized(jsrt, 224, 224);
        Assert.Equal((224, 224), (image.Width, image.Height));
        Assert.InRange(image.Mean(), 0.1, 0.9);
        var cohen = Directory.EnumerateFiles(SharedFolder.Require("data", "cohen", "images"), "*.jpg").First();
        Assert.True(RadiographReader.Read(cohen).Width > 0);
    }
}
