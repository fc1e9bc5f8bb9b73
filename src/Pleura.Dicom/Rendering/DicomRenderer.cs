using static Pleura.Dicom.Rendering.RenderRecord;

namespace Pleura.Dicom.Rendering;

/// <summary>
/// Stored values to a 16-bit grey image: Modality LUT (rescale or LUT sequence), VOI LUT (window or LUT sequence,
/// else min-max), then inverted where the attributes say the values run from white to black, so that the result always
/// reads as MONOCHROME2: by Presentation LUT Shape (2050,0020) when given (INVERSE inverts, IDENTITY does not), else
/// when the Photometric Interpretation is MONOCHROME1. This is dcm2pnm's rule: MONOCHROME1 with INVERSE (as the DX IOD
/// asks) is inverted once, MONOCHROME2 with INVERSE is inverted.
/// </summary>
public static class DicomRenderer
{
    const double OutMax = 65535;

    public static GreyImage16 Render(string path, RenderOptions? options = null) => Render(DicomFileReader.Read(path), options);

    public static GreyImage16 Render(DicomFile file, RenderOptions? options = null)
    {
        options ??= RenderOptions.Default;
        return Render(PixelDataDecoder.DecodeFrame(file, options.Frame), file.Dataset, options);
    }

    public static GreyImage16 Render(StoredFrame frame, DicomDataset dataset, RenderOptions? options = null)
    {
        options ??= RenderOptions.Default;
        var (invert, inversion) = Inversion(frame.Format.Photometric, dataset);
        var values = frame.Values;
        int min = int.MaxValue, max = int.MinValue;
        foreach (var v in values) { if (v < min) min = v; if (v > max) max = v; }
        long range = values.Length == 0 ? 0 : (long)max - min + 1;
        if (range is 0 or > MaxLevels)
        {
            // Pixel by pixel (an empty image, or stored values spread too widely for a table).
            var (modality, modalityText) = ApplyModality(frame, dataset);
            var (output, voiText, center, width) = ApplyVoi(modality, dataset, options);
            var pixels = new ushort[output.Length];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = Output(output[i], invert);
            return new GreyImage16(frame.Width, frame.Height, pixels, new RenderRecord(modalityText, voiText, center, width, invert, inversion));
        }
        else
        {
            // The transforms are functions of the stored value: they are applied once to each value present (the
            // min-max window sees the same extremes), and the pixels are looked up, giving the same output.
            var present = new bool[range];
            foreach (var v in values) present[v - min] = true;
            var levels = new List<int>();
            for (int k = 0; k < present.Length; k++) if (present[k]) levels.Add(min + k);
            var (modality, modalityText) = ApplyModality(frame with { Values = levels.ToArray() }, dataset);
            var (output, voiText, center, width) = ApplyVoi(modality, dataset, options);
            var table = new ushort[range];
            for (int k = 0; k < levels.Count; k++) table[levels[k] - min] = Output(output[k], invert);
            var pixels = new ushort[values.Length];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = table[values[i] - min];
            return new GreyImage16(frame.Width, frame.Height, pixels, new RenderRecord(modalityText, voiText, center, width, invert, inversion));
        }
    }

    /// <summary>Stored values spread over at most this many levels are rendered through a table.</summary>
    const long MaxLevels = 1 << 20;

    static ushort Output(double value, bool invert)
    {
        double y = invert ? OutMax - value : value;
        // Truncated as dcmtk does, which makes renderings equal dcm2pnm's; the hair added keeps a value that is
        // an integer in exact arithmetic (e.g. 257 x for an 8-bit min-max window) from falling one below it.
        return (ushort)Math.Clamp(Math.Floor(y + 1e-6), 0, OutMax);
    }

    /// <summary>Whether the rendered values are inverted to read as MONOCHROME2, and what said so.</summary>
    public static (bool Invert, string Reason) Inversion(string photometric, DicomDataset d)
    {
        var shape = d.GetString(DicomTag.PresentationLUTShape)?.Trim().ToUpperInvariant();
        return shape switch
        {
            "INVERSE" => (true, photometric == "MONOCHROME1" ? "MONOCHROME1 with Presentation LUT Shape INVERSE" : "Presentation LUT Shape INVERSE"),
            "IDENTITY" => (false, photometric == "MONOCHROME1" ? "MONOCHROME1 but Presentation LUT Shape IDENTITY" : "MONOCHROME2"),
            _ => photometric == "MONOCHROME1" ? (true, "MONOCHROME1") : (false, "MONOCHROME2"),
        };
    }

    static (double[] Values, string Text) ApplyModality(StoredFrame frame, DicomDataset d)
    {
        var values = new double[frame.Values.Length];
        if (d.GetSequence(DicomTag.ModalityLUTSequence) is [var item, ..])
        {
            var lut = LookupTable.From(item, frame.Format.Signed, "Modality LUT Sequence");
            for (int i = 0; i < values.Length; i++) values[i] = lut[frame.Values[i]];
            return (values, $"Modality LUT Sequence ({lut.Entries.Length} entries from {lut.FirstMapped}, {lut.Bits} bits"
                + (lut.Explanation is { } e ? $", {e})" : ")"));
        }
        double slope = d.GetDouble(DicomTag.RescaleSlope) ?? 1, intercept = d.GetDouble(DicomTag.RescaleIntercept) ?? 0;
        for (int i = 0; i < values.Length; i++) values[i] = frame.Values[i] * slope + intercept;
        bool given = d.Contains(DicomTag.RescaleSlope) || d.Contains(DicomTag.RescaleIntercept);
        return (values, $"rescale slope {Number(slope)} intercept {Number(intercept)}" + (given ? "" : " (identity, none in the file)"));
    }

    static (double[] Output, string Text, double? Center, double? Width) ApplyVoi(double[] m, DicomDataset d, RenderOptions o)
    {
        var function = d.GetString(DicomTag.VOILUTFunction)?.ToUpperInvariant() ?? "LINEAR";
        if (o.WindowCenter is { } c && o.WindowWidth is { } w)
            return Window(m, c, w, function, d.Source, $"window {Number(c)}/{Number(w)} (set by the caller)");

        var centers = d.GetDoubles(DicomTag.WindowCenter);
        var widths = d.GetDoubles(DicomTag.WindowWidth);
        int windows = Math.Min(centers.Length, widths.Length);
        if (!o.MinMax && windows > 0)
        {
            int index = o.WindowIndex ?? 0;
            if (index < 0 || index >= windows)
                throw new DicomReadException(d.Source, $"window {index + 1} asked for, the file has {windows}");
            var explanation = d.GetStrings(DicomTag.WindowCenterWidthExplanation) is var ex && index < ex.Length && ex[index].Length > 0 ? $", {ex[index]}" : "";
            return Window(m, centers[index], widths[index], function, d.Source,
                $"window {Number(centers[index])}/{Number(widths[index])} ({Ordinal(index + 1)} of {windows} in the file{explanation})");
        }
        if (!o.MinMax && d.GetSequence(DicomTag.VOILUTSequence) is [var item, ..])
        {
            var lut = LookupTable.From(item, false, "VOI LUT Sequence");
            var output = new double[m.Length];
            // The n-bit LUT output goes to the top bits of the 16-bit output, as dcmtk does (2^n - 1 becomes
            // 65536 - 2^(16-n), not 65535), so that renderings agree with dcm2pnm's.
            double scale = (OutMax + 1) / (lut.MaxOutput + 1);
            for (int i = 0; i < m.Length; i++) output[i] = Math.Min(lut[m[i]], lut.MaxOutput) * scale;
            int items = d.GetSequence(DicomTag.VOILUTSequence).Count;
            return (output, $"VOI LUT Sequence (1st of {items}, {lut.Entries.Length} entries from {lut.FirstMapped}, {lut.Bits} bits"
                + (lut.Explanation is { } e ? $", {e})" : ")"), null, null);
        }
        if (m.Length == 0) return ([], "empty image", null, null);
        double min = m.Min(), max = m.Max();
        // The same centre and width dcmtk's min-max window takes, so the two renderings agree: the range min..max
        // spans the whole output (PS3.3: centre 2^n-1 and width 2^n select 0..2^n-1).
        double center = (min + max + 1) / 2, width = max - min + 1;
        return Window(m, center, width, "LINEAR", d.Source, $"min-max window {Number(center)}/{Number(width)} (modality values {Number(min)}..{Number(max)}; no window in the file)");
    }

    /// <summary>The VOI LUT functions of PS3.3 C.11.2.1.2 (LINEAR, LINEAR_EXACT, SIGMOID) onto 0..65535.</summary>
    static (double[] Output, string Text, double? Center, double? Width) Window(double[] m, double c, double w, string function, string source, string text)
    {
        var output = new double[m.Length];
        switch (function)
        {
            case "LINEAR_EXACT":
                if (w <= 0) throw new DicomReadException(source, $"VOI LUT Function LINEAR_EXACT with window width {Number(w)} (must be positive)");
                for (int i = 0; i < m.Length; i++) output[i] = Math.Clamp(((m[i] - c) / w + 0.5) * OutMax, 0, OutMax);
                break;
            case "SIGMOID":
                if (w <= 0) throw new DicomReadException(source, $"VOI LUT Function SIGMOID with window width {Number(w)} (must be positive)");
                for (int i = 0; i < m.Length; i++) output[i] = OutMax / (1 + Math.Exp(-4 * (m[i] - c) / w));
                break;
            default:
                if (w < 1) w = 1; // LINEAR needs w >= 1; w = 1 is a threshold at c - 0.5
                double low = c - 0.5 - (w - 1) / 2, high = c - 0.5 + (w - 1) / 2;
                for (int i = 0; i < m.Length; i++)
                    output[i] = m[i] <= low ? 0 : m[i] > high ? OutMax : w == 1 ? OutMax : ((m[i] - (c - 0.5)) / (w - 1) + 0.5) * OutMax;
                function = "LINEAR";
                break;
        }
        return (output, $"{text}, {function}", c, w);
    }

    static string Ordinal(int n) => n + (n % 100 is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" });
}
