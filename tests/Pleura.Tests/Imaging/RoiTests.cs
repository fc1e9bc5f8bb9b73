using Pleura.Imaging.Roi;
using Pleura.Phantoms;

namespace Pleura.Tests.Imaging;

public class RoiTests
{
    static (Phantom Phantom, LungMasks Masks) Case(int index)
    {
        var p = PhantomDataset.RenderOne(3, index, 128, 1, 2);
        return (p, new LungMasks(128, 128, p.LeftLung, p.RightLung));
    }

    [Fact]
    public void TheLungRoiKeepsThatLungOnlyAndItsBoxHoldsTheWholeLung()
    {
        var (p, masks) = Case(0);
        foreach (var side in new[] { PatientSide.Left, PatientSide.Right })
        {
            var cut = RoiCut.For(RoiScheme.Lung, side, masks, 128, 128);
            var lung = masks.Of(side);
            var other = masks.Of(side == PatientSide.Left ? PatientSide.Right : PatientSide.Left);
            for (int i = 0; i < lung.Length; i++)
            {
                int x = i % 128, y = i / 128;
                if (lung[i]) Assert.True(x >= cut.X0 && x < cut.X1 && y >= cut.Y0 && y < cut.Y1, $"{side} lung pixel ({x},{y}) outside the box");
            }
            // A white image through the cut: the other lung's pixels are gone, the kept lung is there.
            var white = Enumerable.Repeat(1f, 128 * 128).ToArray();
            var input = cut.Apply(white, 64);
            Assert.InRange(input.Average(), 0.3, 0.95);
            var back = cut.MapBack(Enumerable.Repeat(1f, 64 * 64).ToArray(), 64);
            Assert.Equal(0, back.Where((v, i) => other[i] && (i % 128 < cut.X0 || i % 128 >= cut.X1)).Count(v => v != 0));
            Assert.True(back.Where((v, i) => lung[i]).All(v => v > 0.99f), "the heatmap maps back over the lung");
        }
        // Patient's left lung lies on the image's right.
        Assert.True(RoiCut.For(RoiScheme.Lung, PatientSide.Left, masks, 128, 128).X0 > RoiCut.For(RoiScheme.Lung, PatientSide.Right, masks, 128, 128).X0);
    }

    [Fact]
    public void TheImageLevelLungCutKeepsBothLungsZeroesTheRestAndRefusesAMaskThatFillsTheImage()
    {
        var (_, masks) = Case(1);
        var cut = RoiCut.BothLungs(masks);
        for (int i = 0; i < masks.Left.Length; i++)
        {
            int x = i % 128, y = i / 128;
            bool lung = masks.Left[i] || masks.Right[i];
            if (lung) Assert.True(x >= cut.X0 && x < cut.X1 && y >= cut.Y0 && y < cut.Y1, $"lung pixel ({x},{y}) outside the box");
            Assert.Equal(lung, cut.Keep![i]);
        }
        // The box is the lungs' with the margin, so it is smaller than the image but holds both lungs.
        Assert.True(cut.X1 - cut.X0 < 128 && cut.Y1 - cut.Y0 < 128);
        var leftCut = RoiCut.For(RoiScheme.Lung, PatientSide.Left, masks, 128, 128);
        var rightCut = RoiCut.For(RoiScheme.Lung, PatientSide.Right, masks, 128, 128);
        // Its margin is a share of the larger box, so it holds each lung's own cut.
        Assert.True(cut.X0 <= Math.Min(leftCut.X0, rightCut.X0) && cut.X1 >= Math.Max(leftCut.X1, rightCut.X1));

        var all = Enumerable.Repeat(true, 128 * 128).ToArray();
        var full = new LungMasks(128, 128, all.Select((_, i) => i % 128 >= 64).ToArray(), all.Select((_, i) => i % 128 < 64).ToArray());
        Assert.Contains("failed segmentation", Assert.Throws<RoiException>(() => RoiCut.BothLungs(full)).Message);
        var empty = new LungMasks(128, 128, new bool[128 * 128], masks.Right);
        Assert.Contains("left lung empty", Assert.Throws<RoiException>(() => RoiCut.BothLungs(empty)).Message);
    }

    [Fact]
    public void TheMidlineRunsBetweenTheLungsAlongTheSpine()
    {
        for (int index = 0; index < 8; index++)
        {
            var (p, masks) = Case(index);
            var line = Midline.Fit(masks)!;
            // The phantom's spine band is centred on the true midline: compare at mid-lung height.
            int y = Enumerable.Range(0, 128).Where(r => Enumerable.Range(0, 128).Any(x => p.LeftLung[r * 128 + x])).ToList() is var rows ? rows[rows.Count / 2] : 64;
            var spine = Enumerable.Range(0, 128).Where(x => p.Spine[y * 128 + x]).ToList();
            Assert.NotEmpty(spine);
            Assert.InRange(line.XAt(y), spine.Min() - 2, spine.Max() + 2);
            foreach (var side in new[] { PatientSide.Left, PatientSide.Right })
                Assert.NotNull(RoiCut.For(RoiScheme.Spine, side, masks, 128, 128));
        }
    }

    [Fact]
    public void AMaskOfBothLungsSplitsByAnatomyAndPredictedMasksAreCleaned()
    {
        var (p, masks) = Case(2);
        var both = new Pleura.Imaging.GreyImage(128, 128, masks.Union());
        var split = LungMasks.FromBothLungs(both);
        Assert.Equal(p.LeftLung, split.Left);
        Assert.Equal(p.RightLung, split.Right);

        // A speck outside the lung and a hole inside it, as a U-Net may predict: cleaning removes the one and fills the other.
        var noisy = (bool[])p.LeftLung.Clone();
        int inside = Array.FindIndex(p.LeftLung, v => v) + 128 * 4 + 2;
        Assert.True(p.LeftLung[inside]);
        noisy[inside] = false;
        noisy[5] = true;
        var cleaned = new LungMasks(128, 128, noisy, p.RightLung).Cleaned();
        Assert.Equal(p.LeftLung, cleaned.Left);
    }

    [Fact]
    public void TheBandBetweenTheLungsAndASpineMaskGiveTheSameMidline()
    {
        for (int index = 0; index < 6; index++)
        {
            var (p, masks) = Case(index);
            var band = Midline.Band(masks);
            Assert.DoesNotContain(band.Select((v, i) => v && (p.LeftLung[i] || p.RightLung[i])), x => x);
            var fromLungs = Midline.Fit(masks)!;
            var fromBand = Midline.FromSpine(band, 128, 128)!;
            var fromSpine = Midline.FromSpine(p.Spine, 128, 128)!;
            foreach (int y in new[] { 40, 64, 90 })
            {
                Assert.InRange(fromBand.XAt(y) - fromLungs.XAt(y), -1.5, 1.5);
                // The spine mask's own line runs inside the spine (the band's is pulled by the heart's bulge into the left lung).
                var row = Enumerable.Range(0, 128).Where(x => p.Spine[y * 128 + x]).ToList();
                Assert.InRange(fromSpine.XAt(y), row.Min() - 1, row.Max() + 1);
            }
            // With a spine mask the cut follows it.
            Assert.NotNull(RoiCut.For(RoiScheme.Spine, PatientSide.Left, masks, 128, 128, p.Spine));
        }
    }

    [Fact]
    public void FailedSanityChecksSayWhy()
    {
        var (_, masks) = Case(1);
        var flipped = new LungMasks(128, 128, masks.Right, masks.Left);
        var e = Assert.Throws<RoiException>(() => RoiCut.For(RoiScheme.Spine, PatientSide.Left, flipped, 128, 128));
        Assert.Contains("midline", e.Message);
        var empty = new LungMasks(128, 128, new bool[128 * 128], masks.Right);
        Assert.Contains("left lung empty or tiny", Assert.Throws<RoiException>(() => RoiCut.For(RoiScheme.Lung, PatientSide.Right, empty, 128, 128)).Message);
        Assert.Throws<RoiException>(() => RoiCut.For(RoiScheme.Lung, PatientSide.Right, null, 128, 128));
        Assert.Equal(RoiScheme.Spine, RoiSchemes.Parse("spine"));
        Assert.Throws<ArgumentException>(() => RoiSchemes.Parse("heart"));
    }
}
