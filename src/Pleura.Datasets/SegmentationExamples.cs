using Pleura.Data;
using Pleura.Imaging;
using static TorchSharp.torch;

namespace Pleura.Datasets;

/// <summary>A structure to segment and the folder holding its masks (0/255), named as the images or with the image's
/// base name and .png (e.g. x.jpg -> x.png, as in the COVID-19 collection's lung masks), or LabelMe files (x.json)
/// whose polygons carry the structure's name as their label.</summary>
public sealed record StructureMasks(string Name, string Folder)
{
    public string? MaskFor(string imageFileName)
    {
        var same = Path.Combine(Folder, imageFileName);
        if (File.Exists(same)) return same;
        var png = Path.Combine(Folder, Path.GetFileNameWithoutExtension(imageFileName) + ".png");
        if (File.Exists(png)) return png;
        var labelMe = Path.Combine(Folder, Path.GetFileNameWithoutExtension(imageFileName) + ".json");
        return File.Exists(labelMe) ? labelMe : null;
    }
}

/// <summary>One training or test image and its mask files, one per structure, in the structures' order. Patient is
/// known when the image comes from a manifest; hold-out parts then keep each patient's images together.</summary>
public sealed record SegmentationExample(string Name, string Image, IReadOnlyList<string> Masks, string? Patient = null);

/// <summary>
/// A segmentation set: images and their mask files, one per structure, from image + mask folders or a manifest's mask
/// columns, read into image and mask tensors for `pleura segment` (train and evaluate).
/// </summary>
public static class SegmentationExamples
{
    /// <summary>Images of a folder that have a mask in every structure folder (or the listed ones), sorted by name.</summary>
    public static IReadOnlyList<SegmentationExample> FromFolders(string imagesFolder, IReadOnlyList<StructureMasks> structures, IReadOnlyList<string>? only = null)
    {
        var names = only?.ToList() ?? Directory.EnumerateFiles(imagesFolder).Select(f => Path.GetFileName(f))
            .Where(n => !n.StartsWith('.') && !n.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && structures.All(s => s.MaskFor(n) is not null)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (names.Count == 0) throw new InvalidDataException($"{imagesFolder}: no image that has a mask in every structure folder");
        return names.Select(n => new SegmentationExample(n, Path.Combine(imagesFolder, n), structures.Select(s => s.MaskFor(n) ?? Path.Combine(s.Folder, n)).ToList())).ToList();
    }

    /// <summary>A manifest's images that have a mask for every structure, in manifest order. Each structure's masks come
    /// from a manifest column of mask paths (mask images or LabelMe files) or, when no column has that name, from a
    /// folder of masks named as the images (e.g. the COVID-19 collection's lung masks for a manifest of its images).
    /// Images of the excluded patients are left out (e.g. a study's patients, so that a lung model never saw them).</summary>
    public static IReadOnlyList<SegmentationExample> FromManifest(Manifest manifest, IReadOnlyList<(string Structure, string Where)> sources,
        IReadOnlySet<string>? excludedPatients = null)
    {
        var lookups = sources.Select(source =>
        {
            if (manifest.ExtraColumns.Contains(source.Where))
                return (Func<ManifestRow, string?>)(r => r.GetExtra(source.Where) is { Length: > 0 } path ? manifest.Resolve(path) : null);
            if (Directory.Exists(source.Where))
            {
                var folder = new StructureMasks(source.Structure, source.Where);
                return r => folder.MaskFor(Path.GetFileName(manifest.ResolvePath(r)));
            }
            throw new InvalidDataException($"'{source.Where}' is neither a column of the manifest nor a folder of masks");
        }).ToList();
        var examples = manifest.Rows.Where(r => excludedPatients is null || !excludedPatients.Contains(r.PatientId))
            .Select(r => (Row: r, Masks: lookups.Select(l => l(r)).ToList()))
            .Where(e => e.Masks.All(m => m is not null))
            .Select(e => new SegmentationExample(e.Row.ImageId, manifest.ResolvePath(e.Row), e.Masks.Select(m => m!).ToList(), e.Row.PatientId)).ToList();
        if (examples.Count == 0)
            throw new InvalidDataException($"no manifest row{(excludedPatients is { Count: > 0 } ? " of a patient not excluded" : "")} has a mask in every one of {string.Join(", ", sources.Select(c => c.Where))}");
        return examples;
    }

    /// <summary>Images (N x 1 x size²) and binary masks (N x structures x size²) of the examples whose image and masks
    /// could all be read; the others are returned as failures with their reasons.</summary>
    public static (List<string> Files, Tensor Images, Tensor Masks, List<ImageFailure> Failures) Load(IReadOnlyList<SegmentationExample> examples, IReadOnlyList<string> structures, int size)
    {
        var names = examples.Select(e => e.Name).ToList();
        var images = ImageBatch.Read(examples.Select(e => e.Image).ToList(), p => RadiographReader.ReadResized(p, size, size), ErrorPolicy.Continue);
        var masks = structures.Select((s, k) => ImageBatch.Read(examples.Select(e => e.Masks[k]).ToList(), p => MaskReader.ReadResized(p, s, size, size), ErrorPolicy.Continue)).ToList();
        var keep = Enumerable.Range(0, names.Count).Where(i => images.Images[i] is not null && masks.All(m => m.Images[i] is not null)).ToList();
        var pixels = new float[keep.Count * size * size];
        var maskValues = new float[keep.Count * structures.Count * size * size];
        for (int k = 0; k < keep.Count; k++)
        {
            Array.Copy(images.Images[keep[k]]!.Pixels, 0, pixels, (long)k * size * size, size * size);
            for (int s = 0; s < structures.Count; s++)
            {
                var m = masks[s].Images[keep[k]]!.Pixels;
                long offset = ((long)k * structures.Count + s) * size * size;
                for (int i = 0; i < m.Length; i++) maskValues[offset + i] = m[i] >= 0.5f ? 1 : 0;
            }
        }
        var failures = images.Failures.Concat(masks.SelectMany(m => m.Failures)).ToList();
        return (keep.Select(i => names[i]).ToList(), tensor(pixels, new long[] { keep.Count, 1, size, size }),
            tensor(maskValues, new long[] { keep.Count, structures.Count, size, size }), failures);
    }
}
