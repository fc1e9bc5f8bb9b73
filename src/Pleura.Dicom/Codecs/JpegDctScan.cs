namespace Pleura.Dicom.Codecs;

/// <summary>
/// The scan of a sequential DCT frame (baseline 8-bit, extended 8/12-bit, Huffman coded), with IJG's integer inverse
/// DCT ("islow", jidctint.c) and range limiting: the same arithmetic as dcmtk, so the samples equal dcmtk's exactly.
/// (JpegLibrary's floating-point IDCT rounded 1.3 to 1.5 % of the samples of the shared files the other way.)
/// </summary>
static class JpegDctScan
{
    // IJG's fixed-point constants: round(x * 2^13).
    const int ConstBits = 13;
    const int Fix0_298631336 = 2446, Fix0_390180644 = 3196, Fix0_541196100 = 4433, Fix0_765366865 = 6270,
        Fix0_899976223 = 7373, Fix1_175875602 = 9633, Fix1_501321110 = 12299, Fix1_847759065 = 15137,
        Fix1_961570560 = 16069, Fix2_053119869 = 16819, Fix2_562915447 = 20995, Fix3_072711026 = 25172;

    public static int[] Decode(byte[] data, JpegCodestream c, Func<string, Exception> fail)
    {
        if (c.Precision is not (8 or 12)) throw fail($"sample precision {c.Precision} in a DCT frame");
        int width = c.Width, height = c.Height, blocksWide = (width + 7) / 8, blocksHigh = (height + 7) / 8;
        var samples = new int[width * height];
        var bits = new JpegBitReader(data, c.ScanDataStart);
        var coefficients = new int[64];
        var block = new int[64];
        int predictor = 0, untilRestart = c.RestartInterval;
        for (int by = 0; by < blocksHigh; by++)
            for (int bx = 0; bx < blocksWide; bx++)
            {
                if (c.RestartInterval > 0)
                {
                    if (untilRestart == 0) { bits.Restart(); predictor = 0; untilRestart = c.RestartInterval; }
                    untilRestart--;
                }
                Array.Clear(coefficients);
                predictor += bits.ReceiveExtend(c.Dc.Decode(ref bits, fail));
                coefficients[0] = predictor;
                for (int k = 1; k < 64; k++)
                {
                    int rs = c.Ac!.Decode(ref bits, fail), run = rs >> 4, size = rs & 15;
                    if (size == 0)
                    {
                        if (run != 15) break; // end of block
                        k += 15;
                        continue;
                    }
                    k += run;
                    if (k > 63) throw fail("an AC run goes past the end of a block");
                    coefficients[JpegCodestream.Natural[k]] = bits.ReceiveExtend(size);
                }
                InverseDct(coefficients, c.Quantization, c.Precision, block);
                int rows = Math.Min(8, height - 8 * by), cols = Math.Min(8, width - 8 * bx);
                for (int r = 0; r < rows; r++)
                    Array.Copy(block, 8 * r, samples, (8 * by + r) * width + 8 * bx, cols);
            }
        return samples;
    }

    /// <summary>jpeg_idct_islow: dequantize, columns then rows in fixed point, level shift and range limit.</summary>
    static void InverseDct(int[] c, int[] q, int precision, int[] output)
    {
        int pass1Bits = precision == 8 ? 2 : 1; // IJG gives up a bit at 12-bit to avoid overflow
        Span<int> work = stackalloc int[64];
        for (int col = 0; col < 8; col++)
        {
            if (c[8 + col] == 0 && c[16 + col] == 0 && c[24 + col] == 0 && c[32 + col] == 0 &&
                c[40 + col] == 0 && c[48 + col] == 0 && c[56 + col] == 0)
            {
                int dcValue = c[col] * q[col] << pass1Bits;
                for (int r = 0; r < 8; r++) work[8 * r + col] = dcValue;
                continue;
            }
            Idct1D(c[col] * q[col], c[8 + col] * q[8 + col], c[16 + col] * q[16 + col], c[24 + col] * q[24 + col],
                c[32 + col] * q[32 + col], c[40 + col] * q[40 + col], c[48 + col] * q[48 + col], c[56 + col] * q[56 + col],
                ConstBits - pass1Bits, work, col, 8);
        }
        Span<int> row = stackalloc int[8];
        int shift = ConstBits + pass1Bits + 3, max = (1 << precision) - 1;
        for (int r = 0; r < 8; r++)
        {
            var w = work.Slice(8 * r, 8);
            Idct1D(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], shift, row, 0, 1);
            for (int i = 0; i < 8; i++) output[8 * r + i] = RangeLimit(row[i], max);
        }
    }

    /// <summary>One 1-D IDCT (IJG's even/odd decomposition), rounded and descaled by <paramref name="descale"/> bits.</summary>
    static void Idct1D(int x0, int x1, int x2, int x3, int x4, int x5, int x6, int x7, int descale, Span<int> output, int start, int stride)
    {
        int z1 = (x2 + x6) * Fix0_541196100;
        int tmp2 = z1 - x6 * Fix1_847759065, tmp3 = z1 + x2 * Fix0_765366865;
        int tmp0 = (x0 + x4) << ConstBits, tmp1 = (x0 - x4) << ConstBits;
        int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

        tmp0 = x7; tmp1 = x5; tmp2 = x3; tmp3 = x1;
        z1 = tmp0 + tmp3;
        int z2 = tmp1 + tmp2, z3 = tmp0 + tmp2, z4 = tmp1 + tmp3;
        int z5 = (z3 + z4) * Fix1_175875602;
        tmp0 *= Fix0_298631336; tmp1 *= Fix2_053119869; tmp2 *= Fix3_072711026; tmp3 *= Fix1_501321110;
        z1 *= -Fix0_899976223; z2 *= -Fix2_562915447; z3 *= -Fix1_961570560; z4 *= -Fix0_390180644;
        z3 += z5; z4 += z5;
        tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4;

        int round = 1 << (descale - 1);
        output[start + 0 * stride] = (tmp10 + tmp3 + round) >> descale;
        output[start + 7 * stride] = (tmp10 - tmp3 + round) >> descale;
        output[start + 1 * stride] = (tmp11 + tmp2 + round) >> descale;
        output[start + 6 * stride] = (tmp11 - tmp2 + round) >> descale;
        output[start + 2 * stride] = (tmp12 + tmp1 + round) >> descale;
        output[start + 5 * stride] = (tmp12 - tmp1 + round) >> descale;
        output[start + 3 * stride] = (tmp13 + tmp0 + round) >> descale;
        output[start + 4 * stride] = (tmp13 - tmp0 + round) >> descale;
    }

    /// <summary>
    /// IJG's post-IDCT range limit: level shift and clamp for outputs within twice the sample range; beyond that
    /// (only corrupt data gets there) IJG's table wraps, and so does this.
    /// </summary>
    static int RangeLimit(int x, int max)
    {
        int range = max + 1, i = x & (4 * range - 1), center = range / 2;
        return i < 2 * range ? Math.Min(i + center, max) : Math.Max(0, i - 4 * range + center);
    }
}
