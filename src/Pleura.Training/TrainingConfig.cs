using System.Text.Json.Serialization;
using Pleura.Networks;
using Pleura.Networks.Weights;

namespace Pleura.Training;

/// <summary>How a classifier's head is trained.</summary>
public enum HeadFit
{
    /// <summary>The METHOD's two stages: the head by gradient descent on frozen features, then the last convolutions too.</summary>
    FineTune,
    /// <summary>A ridge regression of the grade on the frozen pooled features, closed form (<see cref="RidgeHead"/>).</summary>
    Ridge,
}

/// <summary>
/// Everything that defines a training run (METHOD section 6 defaults): recorded in checkpoints and hashed so a resumed
/// run is only ever continued with the same settings.
/// </summary>
public sealed record TrainingConfig
{
    public string Architecture { get; init; } = "resnet50";
    public int ImageSize { get; init; } = 224;
    /// <summary>1: grey input through summed conv1 kernels; 3: grey replicated to three channels.</summary>
    public int InputChannels { get; init; } = 3;
    public int BatchSize { get; init; } = 32;
    public int Stage1Epochs { get; init; } = 20;
    public int Stage2Epochs { get; init; } = 20;
    public double Stage1LearningRate { get; init; } = 1e-3;
    public double Stage2LearningRate { get; init; } = 1e-4;
    /// <summary>Convolutions (counted from the last) that stage 2 unfreezes; -1 = all layers.</summary>
    public int UnfreezeConvLayers { get; init; } = 5;
    public int PlateauPatience { get; init; } = 7;
    public double PlateauFactor { get; init; } = 0.1;
    public int EarlyStoppingPatience { get; init; } = 10;
    public Balancing Balancing { get; init; } = Balancing.None;
    public int Seed { get; init; } = 1;
    /// <summary>How pixels reach the network, as the starting weights expect (null: grey in [0, 1]). Left out of the
    /// JSON when null, so settings written before recipes existed keep their hash.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public InputRecipe? Input { get; init; }

    [JsonIgnore]
    public InputRecipe Recipe => Input ?? InputRecipe.UnitGrey;

    /// <summary>How probabilities become a grade in validation and test scores (default: the most probable class);
    /// left out of the JSON when default, so earlier settings keep their hash.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public GradeDecision Decision { get; init; }

    /// <summary>The training (and validation) loss; cross-entropy unless told otherwise. Left out of the JSON when default.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public LossKind Loss { get; init; }

    /// <summary>Test and OOB probabilities averaged over the image and this many augmented copies (0: none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int TestTimeAugmentations { get; init; }

    /// <summary>
    /// The convolutions' arithmetic: bf16 trains them in bfloat16 on float32 master weights (batch-norm and head in
    /// float32; checkpoints stay float32). Left out of the JSON when fp32, so earlier settings keep their hash.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ArithmeticPrecision Precision { get; init; }

    /// <summary>
    /// How the head is trained: fine-tuned (the two stages, the default), or fitted in closed form as a ridge read-out of
    /// the frozen features (<see cref="RidgeHead"/>; no stage 2). Left out of the JSON when default.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public HeadFit Head { get; init; }

    /// <summary>These settings fed as the weights at <paramref name="startPath"/> expect (their sidecar's recipe).</summary>
    public TrainingConfig StartingFrom(string? startPath) =>
        startPath is null ? this : this with { Input = PretrainedStart.RecipeOf(startPath) is { IsUnitGrey: false } r ? r : null };

    /// <summary>A checkpoint description that records these settings and what using the model needs from them (input
    /// recipe, grade decision, test-time augmentation): one place, so no writer of checkpoints forgets one.</summary>
    public CheckpointInfo RecordedIn(CheckpointInfo info) => info with
    {
        InputChannels = InputChannels, Input = Input, Decision = Decision, TestTimeAugmentations = TestTimeAugmentations,
        Training = System.Text.Json.JsonSerializer.SerializeToNode(this),
    };

    public void Check()
    {
        if (ImageSize < 32) throw new ArgumentOutOfRangeException(nameof(ImageSize), ImageSize, "input size must be at least 32");
        if (InputChannels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(InputChannels), InputChannels, "1 (summed conv1) or 3 (replicated grey)");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "at least 1");
        // Each setting is named in its own error, so a study file's problem points at the key that is wrong.
        if (Stage1Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Stage1Epochs), Stage1Epochs, "epochs cannot be negative");
        if (Stage2Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Stage2Epochs), Stage2Epochs, "epochs cannot be negative");
        if (Stage1Epochs + Stage2Epochs == 0) throw new ArgumentOutOfRangeException(nameof(Stage1Epochs), "at least one epoch in some stage");
        Input?.Check();
        if (TestTimeAugmentations is < 0 or > 64) throw new ArgumentOutOfRangeException(nameof(TestTimeAugmentations), TestTimeAugmentations, "0 to 64 augmented copies");
        Architectures.Get(Architecture).CheckInputSize(ImageSize);
        // Written as "not above 0" so that NaN is refused too.
        if (!(Stage1LearningRate > 0) || double.IsInfinity(Stage1LearningRate)) throw new ArgumentOutOfRangeException(nameof(Stage1LearningRate), Stage1LearningRate, "learning rates must be positive numbers");
        if (!(Stage2LearningRate > 0) || double.IsInfinity(Stage2LearningRate)) throw new ArgumentOutOfRangeException(nameof(Stage2LearningRate), Stage2LearningRate, "learning rates must be positive numbers");
    }

    /// <summary>A short stable hash of the settings, for resume checks.</summary>
    public string Hash()
    {
        var text = System.Text.Json.JsonSerializer.Serialize(this);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();
    }
}
