using System.Text.Json;
using Pleura.Files;

namespace Pleura.Training;

/// <summary>
/// What a training folder needs to continue after a stop: the stage and last completed epoch, the plateau and
/// early-stopping counters, the learning rate and the log. Weights and optimizer moments sit beside it.
/// Written atomically after every epoch.
/// </summary>
public sealed class ResumeState
{
    public string ConfigHash { get; set; } = "";
    public int Stage { get; set; } = 1;
    public int EpochsDone { get; set; }
    public double LearningRate { get; set; } = double.NaN;
    public double BestValidationLoss { get; set; } = double.PositiveInfinity;
    public int EpochsSinceBest { get; set; }
    public double PlateauBest { get; set; } = double.PositiveInfinity;
    public int PlateauBadEpochs { get; set; }
    public bool Completed { get; set; }
    public string? StopReason { get; set; }
    public List<EpochRecord> History { get; set; } = new();

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string PathIn(string folder) => Path.Combine(folder, "state.json");

    public static ResumeState? Load(string folder)
    {
        var path = PathIn(folder);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<ResumeState>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: damaged training state ({e.Message}); delete the folder to start afresh", e); }
    }

    public void Save(string folder)
    {
        var path = PathIn(folder);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));
        AtomicFile.WriteAllLines(Path.Combine(folder, "epochs.csv"), History.Select(h => h.ToCsv()).Prepend(EpochRecord.CsvHeader));
    }
}
