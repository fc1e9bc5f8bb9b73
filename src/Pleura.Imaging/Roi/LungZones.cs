namespace Pleura.Imaging.Roi;

/// <summary>Upper, middle or lower zone of one lung.</summary>
public enum ZoneLevel { Upper, Middle, Lower }

/// <summary>One of the six lung zones the Brixia score grades.</summary>
public readonly record struct LungZone(PatientSide Side, ZoneLevel Level)
{
    /// <summary>"right_upper" ... "left_lower": the spelling in files and captions.</summary>
    public string Name => $"{Side.Name()}_{Level.ToString().ToLowerInvariant()}";
}

/// <summary>
/// The six lung zones of one image, from its lung masks. Rule: each lung's vertical extent (its top to its bottom mask
/// row) is cut into thirds; the upper, middle and lower zone are that lung's pixels in the first, second and last
/// third. The Brixia score draws its lines at the aortic arch and the right inferior pulmonary vein, which a lung mask
/// does not show; equal thirds of the lung's height is the usual stand-in when only the lungs are known. Immutable:
/// the masks are copied in and out.
/// </summary>
public sealed class LungZones
{
    /// <summary>The zones in BrixIA's order A-F: the patient's right lung upper, middle, lower, then the left lung's.</summary>
    public static IReadOnlyList<LungZone> Order { get; } = new[] { PatientSide.Right, PatientSide.Left }
        .SelectMany(side => new[] { ZoneLevel.Upper, ZoneLevel.Middle, ZoneLevel.Lower }.Select(level => new LungZone(side, level))).ToArray();

    readonly bool[][] _masks;   // in Order
    readonly (int Top, int Bottom)?[] _extents;   // per side: Right, Left

    LungZones(int width, int height, bool[][] masks, (int, int)?[] extents)
    {
        Width = width;
        Height = height;
        _masks = masks;
        _extents = extents;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>A copy of one zone's mask (width x height, row-major).</summary>
    public bool[] Mask(LungZone zone) => (bool[])_masks[IndexOf(zone)].Clone();

    /// <summary>A zone's pixel count (0 when its lung's mask is empty).</summary>
    public int Area(LungZone zone) => _masks[IndexOf(zone)].Count(v => v);

    /// <summary>A lung's first and last mask row, or null when its mask is empty (no zones then).</summary>
    public (int Top, int Bottom)? Extent(PatientSide side) => _extents[side == PatientSide.Right ? 0 : 1];

    /// <summary>Each lung's zones by the thirds rule (see the class).</summary>
    public static LungZones From(LungMasks lungs)
    {
        int w = lungs.Width, h = lungs.Height;
        var masks = new bool[Order.Count][];
        var extents = new (int, int)?[2];
        foreach (var (side, s) in new[] { (PatientSide.Right, 0), (PatientSide.Left, 1) })
        {
            var lung = lungs.Of(side);
            int top = -1, bottom = -1;
            for (int i = 0; i < lung.Length; i++)
                if (lung[i]) { if (top < 0) top = i / w; bottom = i / w; }
            var zone = new[] { new bool[w * h], new bool[w * h], new bool[w * h] };
            if (top >= 0)
            {
                extents[s] = (top, bottom);
                int extent = bottom - top + 1;
                for (int i = 0; i < lung.Length; i++)
                    if (lung[i]) zone[Math.Min(2, 3 * (i / w - top) / extent)][i] = true;
            }
            for (int level = 0; level < 3; level++) masks[s * 3 + level] = zone[level];
        }
        return new LungZones(w, h, masks, extents);
    }

    /// <summary>
    /// Both lungs with the lines between zones cut out (one pixel row), for an overlay whose lung outline then also
    /// draws the zone borders.
    /// </summary>
    public bool[] OutlineMask()
    {
        var result = new bool[Width * Height];
        for (int z = 0; z < _masks.Length; z++)
        {
            var mask = _masks[z];
            for (int i = 0; i < mask.Length; i++)
                // The first row of a middle or lower zone is left out, so its border with the zone above shows.
                if (mask[i] && !(z % 3 > 0 && (i < Width || !mask[i - Width]))) result[i] = true;
        }
        return result;
    }

    static int IndexOf(LungZone zone) => (zone.Side == PatientSide.Right ? 0 : 3) + (int)zone.Level;
}
