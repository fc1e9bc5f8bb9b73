using System.Text.Json.Nodes;
using Pleura.Grading;

namespace Pleura.Server;

/// <summary>A grading run as served: its name in URLs and its loaded models.</summary>
public sealed record ServedRun(string Name, GradingModels Models);

/// <summary>
/// The models a server holds, loaded once at start-up (a run that cannot be loaded stops the start with its reason):
/// grading runs by name, the first being the default, and an optional view classifier.
/// </summary>
public sealed class ModelCatalogue : IDisposable
{
    readonly Dictionary<string, ServedRun> _runs;

    ModelCatalogue(IReadOnlyList<ServedRun> runs, ViewCheck? view)
    {
        Runs = runs;
        _runs = runs.ToDictionary(r => r.Name, StringComparer.Ordinal);
        View = view;
    }

    public IReadOnlyList<ServedRun> Runs { get; }
    public ViewCheck? View { get; }
    public ServedRun Default => Runs[0];

    public static ModelCatalogue Load(ServeOptions options)
    {
        var runs = new List<ServedRun>();
        try
        {
            foreach (var folder in options.Runs)
            {
                var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
                if (runs.Any(r => r.Name == name)) name += "-" + (runs.Count + 1);
                runs.Add(new ServedRun(name, GradingModels.Load(folder, options.BFloat16, options.LungModel, options.AllowIncomplete)));
            }
            var view = options.ViewRun is null ? null : ViewCheck.Load(options.ViewRun, options.BFloat16);
            return new ModelCatalogue(runs, view);
        }
        catch
        {
            foreach (var r in runs) r.Models.Dispose();
            throw;
        }
    }

    /// <summary>The run a request names (null: the default); null when no run has that name.</summary>
    public ServedRun? Find(string? name) => string.IsNullOrEmpty(name) ? Default : _runs.GetValueOrDefault(name);

    /// <summary>What `GET /v1/models` says of each run: the model card a user needs to judge the answers.</summary>
    public JsonObject Describe()
    {
        var runs = new JsonArray();
        foreach (var run in Runs)
        {
            var sides = new JsonArray();
            foreach (var side in run.Models.Sides)
            {
                var info = side.Info;
                sides.Add(new JsonObject
                {
                    ["side"] = side.Side.Name,
                    ["architecture"] = info.Architecture,
                    ["classes"] = new JsonArray(info.Classes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
                    ["label_column"] = info.LabelColumn,
                    ["input"] = new JsonObject
                    {
                        ["size"] = info.InputSize,
                        ["channels"] = info.InputChannels,
                        ["recipe"] = info.Recipe.Description,
                        ["scale"] = info.Recipe.Scale,
                        ["channel_order"] = info.Recipe.ChannelOrder,
                        ["mean"] = new JsonArray(info.Recipe.Mean.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
                        ["std"] = new JsonArray(info.Recipe.Std.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
                        ["roi"] = info.Roi,
                    },
                    ["decision"] = info.Decision.ToString(),
                    ["test_time_augmentations"] = info.TestTimeAugmentations,
                    ["training_data_fingerprint"] = info.DataFingerprint,
                    ["split_fingerprint"] = info.SplitFingerprint,
                    ["split_file"] = Path.GetFileName(info.SplitFile),
                    ["fold"] = info.Fold,
                    ["validation"] = info.Metrics?.DeepClone(),
                    ["pretrained_from"] = info.PretrainedFrom is null ? null : Path.GetFileName(info.PretrainedFrom),
                    ["ensemble_members"] = info.EnsembleMembers is null ? null : new JsonArray(info.EnsembleMembers.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
                    ["warnings"] = new JsonArray((info.Warnings ?? Array.Empty<string>()).Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
                    ["pleura_version"] = info.PleuraVersion,
                    ["created_utc"] = info.CreatedUtc,
                });
            }
            runs.Add(new JsonObject
            {
                ["name"] = run.Name, ["default"] = run == Default, ["precision"] = run.Models.BFloat16 ? "bf16" : "fp32",
                ["lung_model"] = run.Models.LungModel is { } lungs ? Path.GetFileName(Path.GetDirectoryName(lungs)) + "/" + Path.GetFileName(lungs) : null,
                ["sides"] = sides,
                ["unfinished_sides"] = new JsonArray(run.Models.Unfinished.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
            });
        }
        return new JsonObject
        {
            ["runs"] = runs,
            ["view_check"] = View is null ? null : new JsonObject
            {
                ["architecture"] = View.Info.Architecture,
                ["classes"] = new JsonArray(View.Info.Classes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
                ["frontal_class"] = View.FrontalClass,
                ["fold_models"] = View.FoldModels,
                ["training_data_fingerprint"] = View.Info.DataFingerprint,
            },
        };
    }

    public void Dispose()
    {
        foreach (var r in Runs) r.Models.Dispose();
        View?.Dispose();
    }
}
