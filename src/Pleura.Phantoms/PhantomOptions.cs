namespace Pleura.Phantoms;

/// <summary>What to generate: how many images, their size, and the seed that makes the set reproducible.</summary>
public sealed record PhantomOptions
{
    public int Count { get; init; } = 200;
    public int Size { get; init; } = 256;
    public int Seed { get; init; } = 1;

    /// <summary>Chance that reader 2 grades a lung one step away from the truth (higher near grade boundaries).</summary>
    public double ReaderDisagreement { get; init; } = 0.15;

    /// <summary>Also write each image as DICOM (dicom/ID.dcm, one study per patient visit), e.g. to load a PACS.</summary>
    public bool Dicom { get; init; }

    public void Check()
    {
        if (Count < 1) throw new ArgumentOutOfRangeException(nameof(Count), Count, "generate at least one image");
        if (Size < 32 || Size > 4096) throw new ArgumentOutOfRangeException(nameof(Size), Size, "size must lie in 32..4096");
        if (ReaderDisagreement < 0 || ReaderDisagreement > 1) throw new ArgumentOutOfRangeException(nameof(ReaderDisagreement), ReaderDisagreement, "must lie in [0, 1]");
    }
}
