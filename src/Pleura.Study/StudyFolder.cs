using Pleura.Data;

namespace Pleura.Study;

/// <summary>
/// A study folder belongs to one study: its name, and the study file it was run from with that file's hash. Another
/// study (another name, or a different study file of the same name) is refused before its store, split or final
/// models touch the folder; the same study file edited in place may continue in its folder (its trials are hashed
/// by their settings, so nothing trained under the old settings is reused for the new).
/// </summary>
public static class StudyFolder
{
    const string FileKey = "study_file", HashKey = "study_file_hash";
    const string Hint = "Give this study its own --folder (or its own name).";

    public static FolderOwner Owner(StudySpec spec) => new("study", spec.Name, new Dictionary<string, string>
    {
        [FileKey] = spec.SourceFile ?? "",
        [HashKey] = spec.SourceFile is { } file && File.Exists(file) ? Fingerprints.OfFile(file) : Fingerprints.OfText(spec.ToJson()),
    });

    /// <summary>Throws, naming both studies, when <paramref name="folder"/> belongs to another study. Writes nothing.</summary>
    public static void Check(StudySpec spec, string folder)
    {
        var owner = Owner(spec);
        owner.RefuseOther(folder, Hint);
        var there = FolderOwner.Read(folder);
        if (there is not null && there.Fact(FileKey) != owner.Fact(FileKey) && there.Fact(HashKey) != owner.Fact(HashKey))
            throw new InvalidDataException($"{folder} is not this study's folder: it belongs to study '{there.Name}' of {there.Fact(FileKey)}, " +
                                           $"and {owner.Fact(FileKey)} is another study file of that name with other contents. {Hint}");
    }

    /// <summary>Checks the folder, then records this study as its owner.</summary>
    public static void Claim(StudySpec spec, string folder)
    {
        Check(spec, folder);
        Directory.CreateDirectory(folder);
        Owner(spec).Write(folder);
    }
}
