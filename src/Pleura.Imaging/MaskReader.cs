using System.Text.Json;

namespace Pleura.Imaging;

/// <summary>
/// Reads a structure's mask, from a mask image (foreground bright) or from a LabelMe annotation (.json, polygons with
/// labels such as <c>left_lung</c>, <c>right_lung</c>, <c>opacity</c>), at a given size, as 0/1 intensities.
/// </summary>
public static class MaskReader
{
    /// <param name="structure">For LabelMe files: the label to draw. "lung" also takes the union of left_lung and right_lung.</param>
    public static GreyImage ReadResized(string path, string structure, int width, int height) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? LabelMe(path, structure, width, height) : RadiographReader.ReadResized(path, width, height);

    /// <summary>Rasterises a LabelMe file's polygons (and rectangles) of one label, scaled from the annotated image's size.</summary>
    public static GreyImage LabelMe(string path, string structure, int width, int height)
    {
        if (!File.Exists(path)) throw new ImageReadException(path, "file not found");
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
        catch (JsonException e) { throw new ImageReadException(path, $"not a LabelMe JSON file: {e.Message}"); }
        if (!root.TryGetProperty("shapes", out var shapes) || !root.TryGetProperty("imageWidth", out var w) || !root.TryGetProperty("imageHeight", out var h))
            throw new ImageReadException(path, "not a LabelMe file (needs shapes, imageWidth and imageHeight)");
        double sx = width / w.GetDouble(), sy = height / h.GetDouble();
        var accepted = structure.Equals("lung", StringComparison.OrdinalIgnoreCase)
            ? new[] { "lung", "lungs", "left_lung", "right_lung" } : new[] { structure };
        var pixels = new float[width * height];
        int drawn = 0;
        foreach (var shape in shapes.EnumerateArray())
        {
            string label = shape.TryGetProperty("label", out var l) ? l.GetString() ?? "" : "";
            if (!accepted.Contains(label, StringComparer.OrdinalIgnoreCase)) continue;
            var points = shape.GetProperty("points").EnumerateArray().Select(p => (X: p[0].GetDouble() * sx, Y: p[1].GetDouble() * sy)).ToList();
            string type = shape.TryGetProperty("shape_type", out var t) ? t.GetString() ?? "polygon" : "polygon";
            if (type == "rectangle" && points.Count == 2)
                points = new() { points[0], (points[1].X, points[0].Y), points[1], (points[0].X, points[1].Y) };
            else if (type != "polygon")
                throw new ImageReadException(path, $"shape '{label}' is a {type}; masks take polygons and rectangles");
            if (points.Count < 3) throw new ImageReadException(path, $"polygon '{label}' has {points.Count} points");
            Fill(points, pixels, width, height);
            drawn++;
        }
        if (drawn == 0) throw new ImageReadException(path, $"no polygon labelled '{structure}'");
        return new GreyImage(width, height, pixels);
    }

    /// <summary>Even-odd scanline fill, sampling at pixel centres.</summary>
    static void Fill(IReadOnlyList<(double X, double Y)> polygon, float[] pixels, int width, int height)
    {
        var crossings = new List<double>();
        for (int y = 0; y < height; y++)
        {
            double cy = y + 0.5;
            crossings.Clear();
            for (int i = 0; i < polygon.Count; i++)
            {
                var a = polygon[i];
                var b = polygon[(i + 1) % polygon.Count];
                if ((a.Y <= cy && b.Y > cy) || (b.Y <= cy && a.Y > cy))
                    crossings.Add(a.X + (cy - a.Y) / (b.Y - a.Y) * (b.X - a.X));
            }
            crossings.Sort();
            for (int k = 0; k + 1 < crossings.Count; k += 2)
            {
                int from = Math.Max(0, (int)Math.Ceiling(crossings[k] - 0.5)), to = Math.Min(width - 1, (int)Math.Floor(crossings[k + 1] - 0.5));
                for (int x = from; x <= to; x++) pixels[y * width + x] = 1f;
            }
        }
    }
}
