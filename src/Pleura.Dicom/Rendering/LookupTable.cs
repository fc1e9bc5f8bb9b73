namespace Pleura.Dicom.Rendering;

/// <summary>
/// A Modality or VOI LUT from a sequence item (PS3.3 C.11.1.1): LUT Descriptor (entries, first value mapped, bits)
/// and LUT Data. Inputs below the first mapped value take the first entry, above the last the last one.
/// </summary>
public sealed record LookupTable(int FirstMapped, int Bits, ushort[] Entries, string? Explanation)
{
    public static LookupTable From(DicomDataset item, bool signedInput, string what)
    {
        DicomReadException Fail(string why) => new(item.Source, $"{what}: {why}");
        var descriptor = item.GetInts(DicomTag.LUTDescriptor);
        if (descriptor.Length != 3) throw Fail($"LUT Descriptor has {descriptor.Length} values, not 3");
        int count = descriptor[0] == 0 ? 65536 : descriptor[0];
        // The first mapped value is signed when the pixels are (the descriptor is then SS, but is often written US).
        int first = signedInput && descriptor[1] > short.MaxValue ? descriptor[1] - 65536 : descriptor[1];
        int bits = descriptor[2];
        if (bits is < 1 or > 16) throw Fail($"LUT Descriptor gives {bits} bits an entry");
        var data = item.Get(DicomTag.LUTData) ?? throw Fail("no LUT Data (0028,3006)");
        var bytes = data.Value.Span;
        ushort[] entries;
        if (bits <= 8 && bytes.Length == count) entries = bytes.ToArray().Select(b => (ushort)b).ToArray();
        else if (bytes.Length >= 2 * count)
            entries = Enumerable.Range(0, count).Select(i => (ushort)(data.Value.Span[2 * i] | data.Value.Span[2 * i + 1] << 8)).ToArray();
        else throw Fail($"LUT Data has {bytes.Length} bytes for {count} entries");
        return new LookupTable(first, bits, entries, item.GetString(DicomTag.LUTExplanation));
    }

    public int this[double input] => Entries[Math.Clamp((int)Math.Round(input) - FirstMapped, 0, Entries.Length - 1)];

    public int MaxOutput => (1 << Bits) - 1;
}
