using System.Globalization;
using System.Net;
using System.Text;

namespace Pleura.Reporting;

/// <summary>A small HTML writer: escaped text, tables, embedded figures. Self-contained output, no scripts.</summary>
public sealed class Html
{
    readonly StringBuilder _body = new();

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    public static string Number(double? value, string format = "0.000") =>
        value is { } v && !double.IsNaN(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    public Html Heading(string text, int level = 2) { _body.Append($"<h{level}>{Escape(text)}</h{level}>\n"); return this; }
    public Html Paragraph(string text) { _body.Append($"<p>{Escape(text)}</p>\n"); return this; }
    public Html Note(string text) { _body.Append($"<p class=\"note\">{Escape(text)}</p>\n"); return this; }

    public Html Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, Func<int, string>? rowClass = null)
    {
        _body.Append("<table><thead><tr>");
        foreach (var h in header) _body.Append($"<th>{Escape(h)}</th>");
        _body.Append("</tr></thead><tbody>\n");
        int i = 0;
        foreach (var row in rows)
        {
            string cls = rowClass?.Invoke(i++) ?? "";
            _body.Append(cls == "" ? "<tr>" : $"<tr class=\"{cls}\">");
            foreach (var cell in row) _body.Append(IsFigure(cell) ? $"<td class=\"n\">{Escape(cell)}</td>" : $"<td>{Escape(cell)}</td>");
            _body.Append("</tr>\n");
        }
        _body.Append("</tbody></table>\n");
        return this;
    }

    /// <summary>Numbers (with their intervals) align right, words left.</summary>
    static bool IsFigure(string cell) => FigurePattern.IsMatch(cell);

    static readonly System.Text.RegularExpressions.Regex FigurePattern =
        new(@"^(–|-?\d+(\.\d+)?(E-?\d+)?x?)( ± \S+)?( \[[^\]]*\])?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    public Html Image(byte[] png, string caption, string? file = null)
    {
        _body.Append($"<figure><img alt=\"{Escape(caption)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"/>");
        _body.Append($"<figcaption>{Escape(caption)}{(file is null ? "" : $" <span class=\"file\">({Escape(file)})</span>")}</figcaption></figure>\n");
        return this;
    }

    /// <summary>An inline SVG drawing (made by Pleura's own code, inserted as is) with its caption.</summary>
    public Html Svg(string svg, string caption)
    {
        _body.Append($"<figure>{svg}<figcaption>{Escape(caption)}</figcaption></figure>\n");
        return this;
    }

    public Html Figure(Figure f) => Image(f.Png, f.Caption, Path.GetFileName(f.PngPath) + ", " + Path.GetFileName(f.SvgPath));

    public string Page(string title) => $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{Escape(title)}}</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #1b1b1b; line-height: 1.45; }
        h1 { border-bottom: 2px solid #444; padding-bottom: .2em; } h2 { margin-top: 2em; border-bottom: 1px solid #bbb; }
        table { border-collapse: collapse; margin: .8em 0; font-size: .9em; } th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; } td.n { text-align: right; white-space: nowrap; }
        th { background: #f0f0f0; }
        tr.chosen td { background: #ffe9d6; font-weight: 600; } tr.small td { color: #888; font-style: italic; }
        figure { margin: 1em 0; } img { max-width: 100%; border: 1px solid #ddd; } figcaption { font-size: .85em; color: #444; }
        .note { font-size: .9em; color: #444; background: #f7f7f7; padding: .5em .8em; border-left: 3px solid #999; } .file { color: #888; }
        </style></head><body>
        {{_body}}
        </body></html>
        """;
}
