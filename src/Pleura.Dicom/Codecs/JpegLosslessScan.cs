namespace Pleura.Dicom.Codecs;

/// <summary>
/// The scan of a lossless frame (process 14, ISO 10918-1 Annex H): Huffman-coded differences from one of seven
/// predictors, modulo 2^16, then the point transform undone. SV1 is predictor 1.
/// </summary>
static class JpegLosslessScan
{
    public static int[] Decode(byte[] data, JpegCodestream c, Func<string, Exception> fail)
    {
        if (c.Precision is < 2 or > 16) throw fail($"sample precision {c.Precision} in a lossless frame");
        int predictor = c.SpectralStart, pt = c.PointTransform;
        if (predictor is < 1 or > 7) throw fail($"lossless predictor {predictor} (1 to 7 are defined)");
        int width = c.Width, height = c.Height, initial = 1 << (c.Precision - pt - 1);
        var x = new int[width * height];
        var bits = new JpegBitReader(data, c.ScanDataStart);
        int untilRestart = c.RestartInterval;
        bool firstLine = true; // the first line of the image, or of a restart interval, predicts from the left only
        for (int row = 0; row < height; row++)
        {
            for (int col = 0; col < width; col++)
            {
                if (c.RestartInterval > 0)
                {
                    if (untilRestart == 0)
                    {
                        bits.Restart();
                        untilRestart = c.RestartInterval;
                        firstLine = true;
                        if (col != 0) throw fail("a restart interval that does not end at a line end");
                    }
                    untilRestart--;
                }
                int i = row * width + col, prediction;
                if (firstLine) prediction = col == 0 ? initial : x[i - 1];
                else if (col == 0) prediction = x[i - width];
                else
                {
                    int ra = x[i - 1], rb = x[i - width], rc = x[i - width - 1];
                    prediction = predictor switch
                    {
                        1 => ra,
                        2 => rb,
                        3 => rc,
                        4 => ra + rb - rc,
                        5 => ra + ((rb - rc) >> 1),
                        6 => rb + ((ra - rc) >> 1),
                        _ => (ra + rb) >> 1,
                    };
                }
                int ssss = c.Dc.Decode(ref bits, fail);
                if (ssss > 16) throw fail($"difference category {ssss} in a lossless scan");
                int difference = ssss == 16 ? 32768 : bits.ReceiveExtend(ssss);
                x[i] = (prediction + difference) & 0xFFFF;
            }
            firstLine = false;
        }
        if (pt > 0) for (int i = 0; i < x.Length; i++) x[i] <<= pt;
        return x;
    }
}
