using Pleura.Imaging;
using Pleura.Imaging.Roi;

namespace Pleura.Segmentation;

/// <summary>
/// `pleura segment spine-band`: spine / mediastinum band masks derived from left and right lung mask folders (the
/// region between the lungs' medial borders, row by row), the training data for a spine U-Net where no spine
/// annotations exist (METHOD section 3).
/// </summary>
public static class SpineBandJob
{
    public static (int Written, IReadOnlyList<ImageFailure> Failures) Write(string leftFolder, string rightFolder, string outputFolder)
    {
        var failures = new List<ImageFailure>();
        int written = 0;
        Directory.CreateDirectory(outputFolder);
        foreach (var left in Directory.EnumerateFiles(leftFolder).Where(f => !Path.GetFileName(f).StartsWith('.')).OrderBy(f => f, StringComparer.Ordinal))
        {
            var name = Path.GetFileName(left);
            var right = Path.Combine(rightFolder, name);
            try
            {
                if (!File.Exists(right)) throw new ImageReadException(right, "no right-lung mask of the same name");
                var masks = LungMasks.FromImages(RadiographReader.Read(left), RadiographReader.Read(right));
                PngWriter.WriteMask(Path.Combine(outputFolder, Path.ChangeExtension(name, ".png")), Midline.Band(masks), masks.Width, masks.Height);
                written++;
            }
            catch (ImageReadException e) { failures.Add(new ImageFailure(e.Path, e.Reason)); }
        }
        return (written, failures);
    }
}
