namespace Pleura.Dicom;

/// <summary>
/// Pixel data in fragments (PS3.5 A.4): the Basic Offset Table (may be empty) and the fragments after it, each with its
/// byte position counted as the offset table counts it (from the first fragment's item header).
/// </summary>
public sealed record EncapsulatedPixelData(IReadOnlyList<uint> OffsetTable, IReadOnlyList<ReadOnlyMemory<byte>> Fragments)
{
    /// <summary>The compressed bytes of each frame, joined across fragments.</summary>
    public IReadOnlyList<byte[]> Frames(int numberOfFrames, Func<string, Exception> fail)
    {
        if (Fragments.Count == 0) throw fail("the encapsulated pixel data has no fragments");
        if (numberOfFrames <= 1) return [Join(0, Fragments.Count)];

        var positions = new long[Fragments.Count];
        for (int i = 1; i < Fragments.Count; i++) positions[i] = positions[i - 1] + 8 + Fragments[i - 1].Length;

        if (OffsetTable.Count == numberOfFrames)
        {
            var frames = new List<byte[]>(numberOfFrames);
            for (int f = 0; f < numberOfFrames; f++)
            {
                long start = OffsetTable[f], end = f + 1 < numberOfFrames ? OffsetTable[f + 1] : long.MaxValue;
                int first = Array.IndexOf(positions, start);
                if (first < 0 || end <= start) throw fail($"the offset table entry {start} of frame {f + 1} does not start a fragment");
                int last = first;
                while (last < Fragments.Count && positions[last] < end) last++;
                frames.Add(Join(first, last));
            }
            return frames;
        }
        if (Fragments.Count == numberOfFrames) return Fragments.Select(f => f.ToArray()).ToList();

        // No usable offset table and more fragments than frames: a JPEG-family frame ends with an EOI/EOC marker (FFD9).
        var grouped = new List<byte[]>();
        int from = 0;
        for (int i = 0; i < Fragments.Count; i++)
        {
            // Fragments are padded to even length, by some writers with 0xFF: the marker may sit a byte or two early.
            var span = Fragments[i].Span;
            if (span[Math.Max(0, span.Length - 4)..].IndexOf([(byte)0xFF, (byte)0xD9]) >= 0) { grouped.Add(Join(from, i + 1)); from = i + 1; }
        }
        if (grouped.Count != numberOfFrames)
            throw fail($"cannot split {Fragments.Count} fragments into {numberOfFrames} frames (no offset table)");
        return grouped;
    }

    byte[] Join(int first, int end)
    {
        long length = 0;
        for (int i = first; i < end; i++) length += Fragments[i].Length;
        var joined = new byte[length];
        long at = 0;
        for (int i = first; i < end; i++) { Fragments[i].Span.CopyTo(joined.AsSpan((int)at)); at += Fragments[i].Length; }
        return joined;
    }
}
