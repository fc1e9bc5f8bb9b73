using Pleura.Imaging.Roi;
using Pleura.Phantoms;

namespace Pleura.Tests.Imaging;

public class LungZoneTests
{
    [Fact]
    public void RectangularLungsAreCutIntoThirdsOfTheirHeightInBrixiaOrder()
    {
        // The patient's right lung on the image's left: rows 10-39 (30 rows), columns 5-14; the left lung rows 20-28.
        const int w = 40, h = 50;
        var right = new bool[w * h];
        var left = new bool[w * h];
        for (int y = 10; y < 40; y++) for (int x = 5; x < 15; x++) right[y * w + x] = true;
        for (int y = 20; y < 29; y++) for (int x = 25; x < 35; x++) left[y * w + x] = true;
        var zones = LungZones.From(new LungMasks(w, h, left, right));

        Assert.Equal(["right_upper", "right_middle", "right_lower", "left_upper", "left_middle", "left_lower"], LungZones.Order.Select(z => z.Name));
        Assert.Equal((10, 39), zones.Extent(PatientSide.Right));
        Assert.Equal((20, 28), zones.Extent(PatientSide.Left));
        int Rows(LungZone zone, int from, int to) => Enumerable.Range(from, to - from + 1).Count(y => zones.Mask(zone)[y * w + 10]);
        var z = LungZones.Order;
        // 30 rows: 10 each; 9 rows: 3 each.
        Assert.Equal(10, Rows(z[0], 10, 19));
        Assert.Equal(10, Rows(z[1], 20, 29));
        Assert.Equal(10, Rows(z[2], 30, 39));
        Assert.Equal(100, zones.Area(z[0]));
        Assert.Equal([30, 30, 30], z.Skip(3).Select(zones.Area));
        Assert.Equal(3, Enumerable.Range(20, 3).Count(y => zones.Mask(z[3])[y * w + 30]));
    }

    [Fact]
    public void ThePhantomsLungsArePartitionedIntoZonesStackedTopToBottom()
    {
        for (int index = 0; index < 6; index++)
        {
            var p = PhantomDataset.RenderOne(5, index, 96, 1, 2);
            var lungs = new LungMasks(96, 96, p.LeftLung, p.RightLung);
            var zones = LungZones.From(lungs);
            foreach (var side in PatientSides.Both)
            {
                var lung = lungs.Of(side);
                var mine = LungZones.Order.Where(z => z.Side == side).Select(zones.Mask).ToList();
                for (int i = 0; i < lung.Length; i++)
                    Assert.Equal(lung[i] ? 1 : 0, mine.Count(m => m[i]));   // every lung pixel in exactly one zone, nothing else
                var (top, bottom) = zones.Extent(side)!.Value;
                double extent = bottom - top + 1;
                for (int level = 0; level < 3; level++)
                {
                    var rows = Enumerable.Range(0, lung.Length).Where(i => mine[level][i]).Select(i => i / 96).ToList();
                    Assert.NotEmpty(rows);
                    Assert.InRange(rows.Min(), top + level * extent / 3 - 1, top + level * extent / 3 + 1);
                    Assert.InRange(rows.Max(), top + (level + 1) * extent / 3 - 2, top + (level + 1) * extent / 3);
                }
            }
            // The patient's right lung's zones lie on the image's left.
            double MeanX(LungZone zone) => zones.Mask(zone).Select((v, i) => (v, i)).Where(t => t.v).Average(t => t.i % 96);
            Assert.True(MeanX(LungZones.Order[0]) < 48 && MeanX(LungZones.Order[3]) > 48);
            // The overlay's mask keeps the lungs but cuts a line between the zones.
            var outline = zones.OutlineMask();
            Assert.True(outline.Count(v => v) < lungs.Union().Count(v => v > 0) && outline.Count(v => v) > 0.9 * lungs.Union().Count(v => v > 0));
            Assert.All(Enumerable.Range(0, outline.Length).Where(i => outline[i]), i => Assert.True(p.LeftLung[i] || p.RightLung[i]));
        }
    }

    [Fact]
    public void AnEmptyLungHasNoExtentAndEmptyZonesAndMasksAreCopies()
    {
        var right = new bool[16 * 16];
        for (int i = 0; i < 64; i++) right[i] = true;
        var zones = LungZones.From(new LungMasks(16, 16, new bool[16 * 16], right));
        Assert.Null(zones.Extent(PatientSide.Left));
        Assert.All(LungZones.Order.Where(z => z.Side == PatientSide.Left), z => Assert.Equal(0, zones.Area(z)));
        var copy = zones.Mask(LungZones.Order[0]);
        copy[0] = !copy[0];
        Assert.NotEqual(copy[0], zones.Mask(LungZones.Order[0])[0]);
    }
}
