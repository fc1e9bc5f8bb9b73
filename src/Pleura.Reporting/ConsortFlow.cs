using System.Globalization;
using System.Text;

namespace Pleura.Reporting;

/// <summary>One box of a flow: a rule's key, what it means, and how many items it took out (or, first and last, how many there were).</summary>
public sealed record FlowBox(string Key, string Description, int Count);

/// <summary>
/// A CONSORT-style flow diagram as inline SVG: the items found at the top, one exclusion box per rule to the right of
/// a spine with the number remaining after it, and an arrow down to the items kept at the bottom.
/// </summary>
public static class ConsortFlow
{
    const int SpineX = 170, BoxWidth = 320, SideX = 350, SideWidth = 620, Step = 46, BoxHeight = 34, Top = 10;

    /// <param name="flow">The first box (found), the exclusions in order, the last box (kept).</param>
    public static string Svg(IReadOnlyList<FlowBox> flow)
    {
        if (flow.Count < 2) throw new ArgumentException("a flow needs at least a first and a last box", nameof(flow));
        var exclusions = flow.Skip(1).Take(flow.Count - 2).ToList();
        int height = Top + BoxHeight + Step * (exclusions.Count + 1) + BoxHeight + 10;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{SideX + SideWidth + 10}\" height=\"{height}\" font-family=\"system-ui, sans-serif\" font-size=\"12\">");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#444\"/></marker></defs>");
        Box(svg, SpineX - BoxWidth / 2, Top, BoxWidth, $"{flow[0].Count} {flow[0].Description}", "#eef3fb", bold: true);
        int remaining = flow[0].Count;
        int y = Top + BoxHeight;
        int bottom = Top + BoxHeight + Step * (exclusions.Count + 1);
        Line(svg, SpineX, y, SpineX, bottom, arrow: true);
        for (int i = 0; i < exclusions.Count; i++)
        {
            var e = exclusions[i];
            remaining -= e.Count;
            int rowY = Top + BoxHeight + Step * (i + 1) - BoxHeight / 2;
            bool none = e.Count == 0;
            Line(svg, SpineX, rowY + BoxHeight / 2, SideX, rowY + BoxHeight / 2, arrow: true, grey: none);
            Box(svg, SideX, rowY, SideWidth, $"{e.Count} excluded: {e.Description}", none ? "#f7f7f7" : "#fdf1e6", grey: none);
            Text(svg, SpineX - 8, rowY + BoxHeight / 2 + 16, $"{remaining} remain", anchor: "end", grey: true);
        }
        var last = flow[^1];
        Box(svg, SpineX - BoxWidth / 2, bottom, BoxWidth, $"{last.Count} {last.Description}", "#e8f5e9", bold: true);
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>A self-contained page: the diagram, the counts as a table, the corrections, and notes.</summary>
    public static string Page(string title, IReadOnlyList<FlowBox> flow, IReadOnlyList<FlowBox> corrections, IEnumerable<string> notes)
    {
        var html = new Html().Heading(title, 1).Svg(Svg(flow), "Flow of files through the exclusion rules, in the order they are applied; each file is counted once, by the first rule it fails.");
        html.Heading("Counts");
        html.Table(["step", "rule", "files", "description"], flow.Select((f, i) => (IReadOnlyList<string>)[i.ToString(CultureInfo.InvariantCulture), f.Key, f.Count.ToString(CultureInfo.InvariantCulture), f.Description]));
        if (corrections.Count > 0)
        {
            html.Heading("Corrections to ingested images");
            html.Table(["correction", "images", "description"], corrections.Select(c => (IReadOnlyList<string>)[c.Key, c.Count.ToString(CultureInfo.InvariantCulture), c.Description]));
        }
        foreach (var n in notes) html.Note(n);
        return html.Page(title);
    }

    static void Box(StringBuilder svg, int x, int y, int width, string text, string fill, bool bold = false, bool grey = false)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{BoxHeight}\" rx=\"4\" fill=\"{fill}\" stroke=\"{(grey ? "#bbb" : "#444")}\"/>");
        // Long descriptions are cut to the box and given whole in a tooltip and in the table below.
        int fits = width / 7; // about 7 px a character at 12 px
        var shown = text.Length > fits ? text[..(fits - 1)] + "…" : text;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 8}\" y=\"{y + BoxHeight / 2 + 4}\" fill=\"{(grey ? "#999" : "#1b1b1b")}\"{(bold ? " font-weight=\"600\"" : "")}><title>{Html.Escape(text)}</title>{Html.Escape(shown)}</text>");
    }

    static void Line(StringBuilder svg, int x1, int y1, int x2, int y2, bool arrow, bool grey = false) =>
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"{(grey ? "#bbb" : "#444")}\" stroke-width=\"1.4\"{(arrow ? " marker-end=\"url(#arrow)\"" : "")}/>");

    static void Text(StringBuilder svg, int x, int y, string text, string anchor, bool grey) =>
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{y}\" text-anchor=\"{anchor}\" fill=\"{(grey ? "#777" : "#1b1b1b")}\" font-size=\"11\">{Html.Escape(text)}</text>");
}
