using Pleura.Data;

namespace Pleura.Tests.Data;

public class FolderOwnerTests
{
    /// <summary>Masks of a model, made in a project tree: model and masks side by side.</summary>
    static (string Model, string Masks) Project(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "runs"));
        string model = Path.Combine(root, "runs", "lungs.safetensors");
        File.WriteAllText(model, "weights");
        string masks = Path.Combine(root, "runs", "predicted-lungs");
        OutputOwners.Masks(model).ClaimOutput(masks);
        return (model, masks);
    }

    [Fact]
    public void AProjectTreeMovedElsewhereStillOwnsItsOutputs()
    {
        using var dir = new TempFolder();
        Project(dir.File("before"));
        Directory.Move(dir.File("before"), dir.File("after"));
        string model = dir.File("after/runs/lungs.safetensors"), masks = dir.File("after/runs/predicted-lungs");
        // The record names the model where it was; the model moved with the masks, so this is still its folder.
        Assert.Contains(dir.File("before"), File.ReadAllText(Path.Combine(masks, FolderOwner.FileName)));
        OutputOwners.Masks(model).RefuseOtherOutput(masks);
        // Another model is still another owner, wherever it lies.
        File.WriteAllText(dir.File("after/other.safetensors"), "other weights");
        var refused = Assert.Throws<InvalidDataException>(() => OutputOwners.Masks(dir.File("after/other.safetensors")).RefuseOtherOutput(masks));
        Assert.Contains("is not this segmentation's folder", refused.Message);
    }

    [Fact]
    public void AnOutputFolderMovedAwayFromAModelThatStayedIsStillItsOwners()
    {
        using var dir = new TempFolder();
        var (model, masks) = Project(dir.File("p"));
        Directory.Move(masks, dir.File("elsewhere"));
        OutputOwners.Masks(model).RefuseOtherOutput(dir.File("elsewhere"));
    }

    [Fact]
    public void ARecordWrittenBeforeFoldersWereKeptComparesPathsAsWritten()
    {
        using var dir = new TempFolder();
        var (model, masks) = Project(dir.File("p"));
        // An older record: no WrittenIn, so only the same absolute path is the same owner.
        var old = FolderOwner.Read(masks)! with { WrittenIn = null };
        File.WriteAllText(Path.Combine(masks, FolderOwner.FileName), System.Text.Json.JsonSerializer.Serialize(old));
        OutputOwners.Masks(model).RefuseOtherOutput(masks);
        Directory.Move(dir.File("p"), dir.File("q"));
        Assert.Throws<InvalidDataException>(() => OutputOwners.Masks(dir.File("q/runs/lungs.safetensors")).RefuseOtherOutput(dir.File("q/runs/predicted-lungs")));
    }
}
