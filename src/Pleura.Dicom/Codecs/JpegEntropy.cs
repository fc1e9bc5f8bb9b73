namespace Pleura.Dicom.Codecs;

/// <summary>Entropy-coded bits with stuffed zero bytes removed; past a marker it gives zeros, as IJG's decoder does.</summary>
struct JpegBitReader(byte[] data, int position)
{
    int pos = position, buffer, count;

    public int Read(int n)
    {
        while (count < n)
        {
            int b = 0;
            if (pos < data.Length && (data[pos] != 0xFF || pos + 1 < data.Length && data[pos + 1] == 0x00))
            {
                b = data[pos];
                pos += data[pos] == 0xFF ? 2 : 1;
            }
            buffer = (buffer << 8) | b;
            count += 8;
        }
        count -= n;
        return (buffer >> count) & ((1 << n) - 1);
    }

    /// <summary>A difference of <paramref name="size"/> bits: the received bits as the signed value they code (F.2.2.1).</summary>
    public int ReceiveExtend(int size)
    {
        if (size == 0) return 0;
        int value = Read(size);
        return value < 1 << (size - 1) ? value - (1 << size) + 1 : value;
    }

    /// <summary>Drops the bits left in the byte and steps over the next RSTn marker.</summary>
    public void Restart()
    {
        count = 0;
        buffer = 0;
        while (pos + 1 < data.Length && !(data[pos] == 0xFF && data[pos + 1] is >= 0xD0 and <= 0xD7)) pos++;
        pos += 2;
    }
}

/// <summary>A canonical Huffman table decoded code length by code length (ISO 10918-1 F.2.2.3).</summary>
sealed class JpegHuffmanTable
{
    readonly int[] maxCode = new int[17], valueOffset = new int[17];
    readonly byte[] values;

    public JpegHuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols)
    {
        values = symbols.ToArray();
        int code = 0, k = 0;
        for (int length = 1; length <= 16; length++)
        {
            valueOffset[length] = k - code;
            code += counts[length - 1];
            k += counts[length - 1];
            maxCode[length] = counts[length - 1] > 0 ? code - 1 : -1;
            code <<= 1;
        }
    }

    public int Decode(ref JpegBitReader bits, Func<string, Exception> fail)
    {
        int code = 0;
        for (int length = 1; length <= 16; length++)
        {
            code = (code << 1) | bits.Read(1);
            if (code <= maxCode[length]) return values[code + valueOffset[length]];
        }
        throw fail("a Huffman code that is in no table (corrupt data)");
    }
}
