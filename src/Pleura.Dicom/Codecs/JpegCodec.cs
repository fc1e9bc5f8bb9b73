namespace Pleura.Dicom.Codecs;

/// <summary>
/// JPEG of one component: sequential DCT (baseline 8-bit, extended 12-bit) and lossless process 14 (SV1 and the
/// other predictors). Written here rather than taken from JpegLibrary 0.4.32, which was tried first: its lossless
/// decoder gave wrong samples for predictors 2, 3 and 7 and for a point transform, and its floating-point IDCT rounds
/// differently from dcmtk's integer one.
/// </summary>
static class JpegCodec
{
    public static int[] Decode(byte[] data, PixelFormat f, string source)
    {
        DicomReadException Fail(string why) => new(source, $"JPEG: {why}");
        var codestream = JpegCodestream.Read(data, why => Fail(why));
        if (codestream.Width != f.Columns || codestream.Height != f.Rows)
            throw Fail($"the codestream is {codestream.Width} x {codestream.Height}, the header says {f.Columns} x {f.Rows}");
        var samples = codestream.FrameMarker == 0xC3
            ? JpegLosslessScan.Decode(data, codestream, why => Fail(why))
            : JpegDctScan.Decode(data, codestream, why => Fail(why));
        return Array.ConvertAll(samples, f.FromSample);
    }
}
