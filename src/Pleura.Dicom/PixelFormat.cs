namespace Pleura.Dicom;

/// <summary>
/// The Image Pixel module attributes a decoder needs, checked once: a greyscale (one sample) image of sane size whose
/// Bits Stored / High Bit / Pixel Representation fit its Bits Allocated.
/// </summary>
public sealed record PixelFormat(int Rows, int Columns, int BitsAllocated, int BitsStored, int HighBit, bool Signed,
    string Photometric, int NumberOfFrames)
{
    /// <summary>Larger frames are refused rather than allocated (a corrupt header can claim 60000 x 60000).</summary>
    public const long MaxPixelsPerFrame = 1L << 26;

    public int PixelsPerFrame => Rows * Columns;

    public static PixelFormat Of(DicomDataset d)
    {
        DicomReadException Fail(string why) => new(d.Source, why);
        int rows = d.Rows ?? throw Fail("no Rows (0028,0010): not an image");
        int columns = d.Columns ?? throw Fail("no Columns (0028,0011): not an image");
        if (rows <= 0 || columns <= 0) throw Fail($"image size {columns} x {rows} is empty");
        if ((long)rows * columns > MaxPixelsPerFrame)
            throw Fail($"image size {columns} x {rows} is larger than this reader accepts ({MaxPixelsPerFrame} pixels a frame)");
        int samples = d.GetInt(DicomTag.SamplesPerPixel) ?? 1;
        var photometric = d.PhotometricInterpretation ?? "MONOCHROME2";
        if (samples != 1 || photometric is not ("MONOCHROME1" or "MONOCHROME2"))
            throw Fail($"colour images are not supported (Samples per Pixel {samples}, Photometric Interpretation {photometric})");
        int allocated = d.GetInt(DicomTag.BitsAllocated) ?? throw Fail("no Bits Allocated (0028,0100)");
        if (allocated is not (8 or 16)) throw Fail($"Bits Allocated {allocated} is not supported (8 or 16)");
        int stored = d.GetInt(DicomTag.BitsStored) ?? allocated;
        int highBit = d.GetInt(DicomTag.HighBit) ?? stored - 1;
        if (stored < 1 || stored > allocated || highBit < stored - 1 || highBit >= allocated)
            throw Fail($"Bits Stored {stored} / High Bit {highBit} do not fit Bits Allocated {allocated}");
        int representation = d.GetInt(DicomTag.PixelRepresentation) ?? 0;
        if (representation is not (0 or 1)) throw Fail($"Pixel Representation {representation} is neither 0 nor 1");
        int frames = d.NumberOfFrames;
        if (frames < 1) throw Fail($"Number of Frames {frames} is not positive");
        return new PixelFormat(rows, columns, allocated, stored, highBit, representation == 1, photometric, frames);
    }

    /// <summary>The stored value in an allocated word: the Bits Stored bits ending at High Bit, sign-extended if signed.</summary>
    public int StoredValue(int word) => FromSample(word >> (HighBit + 1 - BitsStored));

    /// <summary>A codec's sample (Bits Stored wide, as a bit pattern) as the stored value.</summary>
    public int FromSample(int sample)
    {
        int v = sample & ((1 << BitsStored) - 1);
        return Signed && (v >> (BitsStored - 1)) != 0 ? v - (1 << BitsStored) : v;
    }

    public int MinStoredValue => Signed ? -(1 << (BitsStored - 1)) : 0;
    public int MaxStoredValue => Signed ? (1 << (BitsStored - 1)) - 1 : (1 << BitsStored) - 1;
}
