namespace Pleura.Data;

/// <summary>Where an image sits in one fold.</summary>
public enum SplitPart
{
    Train,
    Validation,
    Test,
    /// <summary>The out-of-box set, put aside before any fold and never used for selection.</summary>
    OutOfBox,
}
