namespace Pleura.Dicom;

/// <summary>One decoded frame: the stored pixel values (before any LUT), row by row.</summary>
public sealed record StoredFrame(int Width, int Height, int[] Values, PixelFormat Format);
