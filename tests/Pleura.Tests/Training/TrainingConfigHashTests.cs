using Pleura.Networks;
using Pleura.Training;

namespace Pleura.Tests.Training;

/// <summary>
/// `TrainingConfig.Hash()` decides whether a run folder resumes: a hash that changes when a field is added (without
/// WhenWritingDefault) orphans every resumable run. These pin it for the default settings and for settings with every
/// field set; a new field must be added to <see cref="EveryFieldSet"/>, and must leave both hashes as they are.
/// </summary>
public class TrainingConfigHashTests
{
    const string DefaultHash = "af84b25ae0cbdca7";
    const string EveryFieldSetHash = "b33faa23fba32b18";   // since Head (ridge) joined the settings

    static readonly TrainingConfig EveryFieldSet = new()
    {
        Architecture = "resnet18-cntk", ImageSize = 128, InputChannels = 1, BatchSize = 16, Stage1Epochs = 5, Stage2Epochs = 7,
        Stage1LearningRate = 3e-3, Stage2LearningRate = 3e-4, UnfreezeConvLayers = -1, PlateauPatience = 3, PlateauFactor = 0.5,
        EarlyStoppingPatience = 4, Balancing = Balancing.Over, Seed = 42, Input = InputRecipe.ImageNetCntk,
        Decision = GradeDecision.Expected, Loss = LossKind.Sord, TestTimeAugmentations = 4, Precision = ArithmeticPrecision.Bf16,
        Head = HeadFit.Ridge,
    };

    [Fact]
    public void TheDefaultSettingsKeepTheirHash() => Assert.Equal(DefaultHash, new TrainingConfig().Hash());

    [Fact]
    public void SettingsWithEveryFieldSetKeepTheirHash() => Assert.Equal(EveryFieldSetHash, EveryFieldSet.Hash());

    [Fact]
    public void EveryFieldIsSetInThePinnedSettings()
    {
        var defaults = new TrainingConfig();
        var unset = typeof(TrainingConfig).GetProperties()
            .Where(p => p.CanWrite && Equals(p.GetValue(defaults), p.GetValue(EveryFieldSet)))
            .Select(p => p.Name).ToList();
        Assert.True(unset.Count == 0, "set these in EveryFieldSet (and keep both pinned hashes): " + string.Join(", ", unset));
    }
}
