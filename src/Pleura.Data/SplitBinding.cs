namespace Pleura.Data;

/// <summary>
/// A split belongs to the manifest it was made from. A split whose manifest fingerprint differs is accepted only when
/// it places exactly the manifest's images under exactly the manifest's patients (another version of the manifest
/// that changed grades or other columns); otherwise patients could sit in two parts (train and test, train and OOB)
/// and every figure from it would be wrong, so it is refused with the first disagreements.
/// </summary>
public static class SplitBinding
{
    /// <summary>Throws when <paramref name="plan"/> does not fit <paramref name="manifest"/>; a note when it fits another version of it, else null.</summary>
    /// <remarks>The images and patients are compared even when the fingerprints agree: a split file changed after it
    /// was made (an image line lost, a patient id damaged) keeps its fingerprint but no longer fits.</remarks>
    public static string? Check(SplitPlan plan, Manifest manifest, string splitPath, string manifestPath)
    {
        bool made = plan.ManifestFingerprint == manifest.Fingerprint();
        var inSplit = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var patient in plan.Patients)
            foreach (var image in patient.Images) inSplit[image] = patient.PatientId;
        var problems = new List<string>();
        var moved = manifest.Rows.Where(r => inSplit.TryGetValue(r.ImageId, out var p) && p != r.PatientId).ToList();
        if (moved.Count > 0)
            problems.Add($"{moved.Count} image(s) under another patient (e.g. {moved[0].ImageId}: patient {inSplit[moved[0].ImageId]} in the split, {moved[0].PatientId} in the manifest)");
        var notInSplit = manifest.Rows.Where(r => !inSplit.ContainsKey(r.ImageId)).Select(r => r.ImageId).ToList();
        if (notInSplit.Count > 0) problems.Add($"{notInSplit.Count} image(s) of the manifest not in the split (e.g. {notInSplit[0]})");
        var inManifest = manifest.Rows.Select(r => r.ImageId).ToHashSet(StringComparer.Ordinal);
        var notInManifest = inSplit.Keys.Where(i => !inManifest.Contains(i)).Order(StringComparer.Ordinal).ToList();
        if (notInManifest.Count > 0) problems.Add($"{notInManifest.Count} image(s) of the split not in the manifest (e.g. {notInManifest[0]})");
        if (problems.Count > 0 && made)
            throw new InvalidDataException($"{splitPath} records {manifestPath}'s fingerprint but was changed since: {string.Join("; ", problems)}. Make the split again (`pleura split`)");
        if (problems.Count > 0)
            throw new InvalidDataException($"{splitPath} was not made from {manifestPath}: {string.Join("; ", problems)}. Make a split of this manifest (`pleura split`)");
        if (made) return null;
        return $"{splitPath} was made from another version of {manifestPath} (fingerprints differ); its patients and images agree exactly, so it is used";
    }
}
