using System.Text;
using Pleura.DicomWeb;

namespace Pleura.Tests.DicomWeb;

public class MultipartRelatedTests
{
    static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    [Fact]
    public async Task Reads_back_what_the_stow_writer_sends_byte_for_byte()
    {
        // Bodies that look like delimiters or header ends must not cut a part short.
        byte[][] instances = [Bytes("DICM first\r\n--not-the-boundary\r\n"), Bytes("\r\n\r\nsecond"), [0, 1, 2, 13, 10, 45, 45], []];
        using var content = MultipartRelated.Write(instances);
        var body = await content.ReadAsByteArrayAsync();
        var type = content.Headers.ContentType!.ToString();
        Assert.StartsWith("multipart/related", type, StringComparison.Ordinal);
        Assert.Contains("type=\"application/dicom\"", type, StringComparison.Ordinal);
        var parts = MultipartRelated.Read(body, type);
        Assert.Equal(instances.Length, parts.Count);
        for (int i = 0; i < instances.Length; i++)
        {
            Assert.Equal(instances[i], parts[i].Body.ToArray());
            Assert.Equal("application/dicom", parts[i].ContentType);
        }
    }

    [Fact]
    public void Takes_a_preamble_an_epilogue_a_quoted_boundary_and_parts_without_headers()
    {
        var body = Bytes("ignored preamble\r\n--b:1\r\nContent-Type: application/dicom\r\nX-Extra:  v \r\n\r\nONE\r\n--b:1\r\n\r\nTWO\r\n--b:1--\r\nepilogue");
        var parts = MultipartRelated.Read(body, "multipart/related; type=\"application/dicom\"; boundary=\"b:1\"");
        Assert.Equal(["ONE", "TWO"], parts.Select(p => Encoding.Latin1.GetString(p.Body.Span)));
        Assert.Equal("v", parts[0].Headers["x-extra"]);
        Assert.Null(parts[1].ContentType);
    }

    [Theory]
    [InlineData("--b\r\nContent-Type: application/dicom\r\n\r\nONE", "not closed by a delimiter (truncated)")]
    [InlineData("--b\r\nContent-Type: application/dicom", "no end of headers (truncated)")]
    [InlineData("no delimiter at all", "no delimiter line")]
    [InlineData("--b\r\nbroken header line\r\n\r\nONE\r\n--b--", "malformed part header")]
    public void Refuses_broken_bodies_with_the_reason(string body, string reason)
    {
        var e = Assert.Throws<FormatException>(() => MultipartRelated.Read(Bytes(body), "multipart/related; boundary=b"));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/dicom")]
    [InlineData("multipart/related; type=\"application/dicom\"")]
    public void Refuses_a_content_type_without_a_boundary(string type)
    {
        Assert.Throws<FormatException>(() => MultipartRelated.Read(Bytes("--b--"), type));
    }
}
