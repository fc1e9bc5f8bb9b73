namespace Pleura.Phantoms;

/// <summary>
/// Draws a CXR-like image from an anatomy and an exposure. Intensities model attenuation (bright = dense): air
/// outside the body is dark, soft tissue mid-grey, aerated lung dark with vessel texture, bone (spine, ribs,
/// clavicles) and heart bright; opacities add ground-glass density inside the lungs. The opacity mask covers an exact
/// share of each lung (a smooth random field thresholded at the matching quantile), so the grade is known exactly.
/// </summary>
public static class PhantomRenderer
{
    public static Phantom Render(Anatomy a, Exposure e, int size, Random random)
    {
        if (size < 32) throw new ArgumentOutOfRangeException(nameof(size), size, "phantoms need at least 32x32 pixels");
        int n = size * size;
        var baseImage = new float[n];
        var left = new bool[n];
        var right = new bool[n];
        var spine = new bool[n];
        var u = new double[n];
        var v = new double[n];

        double angle = e.RotationDegrees * Math.PI / 180, cos = Math.Cos(angle), sin = Math.Sin(angle);
        var vessels = new ValueNoise(random, 24);
        var tissue = new ValueNoise(random, 5);
        var ribPhase = random.Uniform(0, 1);

        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                int i = y * size + x;
                // Pixel centre in anatomy coordinates: undo the shift, then the rotation about the image centre.
                double px = (x + 0.5) / size - 0.5 - e.ShiftX, py = (y + 0.5) / size - 0.5 - e.ShiftY;
                double ux = cos * px + sin * py + 0.5, uy = -sin * px + cos * py + 0.5;
                u[i] = ux;
                v[i] = uy;

                bool inBody = InBody(a, ux, uy);
                bool inHeart = Sq((ux - a.HeartCentreX) / a.HeartRadiusX) + Sq((uy - a.HeartCentreY) / a.HeartRadiusY) <= 1;
                bool inRight = InLung(a, ux, uy, a.RightLungCentre, a.RightLungHalfWidth, lateral: -1);
                bool inLeft = !inHeart && InLung(a, ux, uy, a.LeftLungCentre, a.LeftLungHalfWidth, lateral: +1);
                bool inSpine = inBody && Math.Abs(ux - 0.5) <= a.SpineHalfWidth && uy > a.LungTop - 0.08 && uy < a.LungBottom + 0.06;
                right[i] = inRight;
                left[i] = inLeft;
                spine[i] = inSpine;

                double value = 0.03;
                if (inBody)
                {
                    // Soft tissue, denser towards the body's edge where the beam crosses more of it.
                    double edge = Math.Abs(ux - 0.5) / a.BodyHalfWidth;
                    value = 0.50 + 0.10 * edge * edge + 0.05 * (tissue.At(ux, uy) - 0.5);
                    if (inHeart) value += 0.06;
                    if (inSpine) value += 0.14 + 0.05 * Math.Sin((uy + ribPhase) * 2 * Math.PI / (a.RibSpacing * 0.75));
                    if (inRight || inLeft)
                    {
                        double hilum = Math.Exp(-Sq((ux - 0.5) / 0.16) - Sq((uy - 0.45) / 0.2));
                        value = 0.20 + 0.07 * hilum + 0.05 * (vessels.At(ux, uy) - 0.5);
                    }
                    value += Ribs(a, ux, uy, ribPhase) + Clavicles(a, ux, uy);
                }
                baseImage[i] = (float)value;
            }
        }

        var opacity = new bool[n];
        var leftFraction = PlaceOpacity(left, u, v, e.LeftOpacityTarget, a, random, opacity);
        var rightFraction = PlaceOpacity(right, u, v, e.RightOpacityTarget, a, random, opacity);

        // Ground-glass density with soft edges, kept inside the lungs.
        double scale = size / 256.0;
        var soft = GaussianBlur.Apply(opacity.Select(o => o ? 1f : 0f).ToArray(), size, size, 2.0 * scale);
        var texture = new ValueNoise(random, 16);
        for (int i = 0; i < n; i++)
        {
            if (!left[i] && !right[i]) continue;
            double density = left[i] ? e.LeftDensity : e.RightDensity;
            baseImage[i] += (float)(density * soft[i] * (0.65 + 0.35 * texture.At(u[i], v[i])));
        }

        var blurred = GaussianBlur.Apply(baseImage, size, size, e.Blur * scale);
        var image = new float[n];
        for (int i = 0; i < n; i++)
        {
            double exposed = e.Gain * Math.Pow(Math.Clamp(blurred[i], 0, 1), e.Gamma) + e.Offset + e.NoiseSd * random.Gaussian();
            image[i] = (float)Math.Clamp(exposed, 0, 1);
        }
        return new Phantom(size, image, left, right, spine, opacity, leftFraction, rightFraction);
    }

    static double Sq(double x) => x * x;

    static bool InBody(Anatomy a, double x, double y)
    {
        if (y < 0.06) return false;
        // Shoulders taper the body outline towards the neck.
        double halfWidth = y < 0.2 ? a.BodyHalfWidth * (0.45 + 0.55 * Math.Sqrt((y - 0.06) / 0.14)) : a.BodyHalfWidth;
        return Math.Abs(x - 0.5) <= halfWidth;
    }

    /// <summary>A lung: rounded apex, convex lateral border, straighter medial border, domed diaphragm.</summary>
    static bool InLung(Anatomy a, double x, double y, double centre, double halfWidth, int lateral)
    {
        if (y < a.LungTop) return false;
        double t = (y - a.LungTop) / (a.LungBottom - a.LungTop);
        if (t > 1) return false;
        double widen = Math.Pow(Math.Sin(Math.PI / 2 * Math.Min(1, t * 1.7)), 0.6);
        double lateralEdge = centre + lateral * halfWidth * widen;
        double medialEdge = centre - lateral * halfWidth * 0.8 * widen;
        double lo = Math.Min(lateralEdge, medialEdge), hi = Math.Max(lateralEdge, medialEdge);
        if (x < lo || x > hi) return false;
        double across = (x - centre) / halfWidth;
        double dome = a.LungBottom - a.DiaphragmDome * Math.Max(0, 1 - across * across) - 0.04 * Math.Max(0, -lateral * (x - centre) / halfWidth);
        return y <= dome;
    }

    static double Ribs(Anatomy a, double x, double y, double phase)
    {
        double dx = Math.Abs(x - 0.5);
        if (dx < 0.04 || dx > a.BodyHalfWidth * 0.92 || y < a.LungTop - 0.04 || y > a.LungBottom + 0.02) return 0;
        // Posterior ribs: arcs that leave the spine, rise a little, then curve down towards the chest wall.
        double shifted = y - a.LungTop + 0.05 + 0.05 * dx - 0.9 * dx * dx - phase * a.RibSpacing;
        double k = shifted / a.RibSpacing;
        double distance = Math.Abs(k - Math.Round(k)) * a.RibSpacing;
        const double halfThickness = 0.014;
        return distance < halfThickness ? 0.06 * (0.5 + 0.5 * Math.Cos(Math.PI * distance / halfThickness)) : 0;
    }

    static double Clavicles(Anatomy a, double x, double y)
    {
        double dx = Math.Abs(x - 0.5);
        if (dx < 0.04 || dx > 0.32) return 0;
        double line = a.LungTop + 0.01 - 0.12 * (dx - 0.04);
        double distance = Math.Abs(y - line);
        return distance < 0.012 ? 0.10 * (1 - distance / 0.012) : 0;
    }

    /// <summary>Marks the target share of a lung as opaque; returns the share actually marked.</summary>
    static double PlaceOpacity(bool[] lung, double[] u, double[] v, double target, Anatomy a, Random random, bool[] opacity)
    {
        var pixels = new List<int>();
        for (int i = 0; i < lung.Length; i++) if (lung[i]) pixels.Add(i);
        if (pixels.Count == 0) return 0;
        int count = (int)Math.Round(Math.Clamp(target, 0, 1) * pixels.Count);
        if (target > 0) count = Math.Max(count, 1);
        if (count == 0) return 0;

        // Patchy field, heavier towards the bases and periphery as in viral pneumonia.
        var coarse = new ValueNoise(random, 4);
        var fine = new ValueNoise(random, 10);
        double basal = random.Uniform(0.0, 0.6);
        var field = pixels.Select(i =>
        {
            double t = (v[i] - a.LungTop) / (a.LungBottom - a.LungTop);
            return 0.6 * coarse.At(u[i], v[i]) + 0.4 * fine.At(u[i], v[i]) + basal * t;
        }).ToArray();
        var order = Enumerable.Range(0, pixels.Count).OrderByDescending(k => field[k]).Take(count);
        foreach (var k in order) opacity[pixels[k]] = true;
        return (double)count / pixels.Count;
    }
}
