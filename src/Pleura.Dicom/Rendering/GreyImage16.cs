namespace Pleura.Dicom.Rendering;

/// <summary>A rendered 16-bit grey image (0 black, 65535 white, MONOCHROME2 sense), row by row, and how it was made.</summary>
public sealed record GreyImage16(int Width, int Height, ushort[] Pixels, RenderRecord Record);
