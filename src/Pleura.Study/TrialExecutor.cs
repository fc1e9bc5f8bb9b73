using System.Text.Json;
using Pleura.Imaging.Roi;
using Pleura.Store;
using Pleura.Training;

namespace Pleura.Study;

/// <summary>
/// Runs a level's trials somewhere other than this process (a cluster's job array). The trials are in the store,
/// queued, when it is called; it returns when every one is done or has failed for good.
/// </summary>
public interface ITrialExecutor
{
    void Run(StudyContext context, string level, IReadOnlyList<TrialPlan> trials, CancellationToken cancel);
}

/// <summary>
/// One task of a cluster job (`pleura study trial STUDY --next`): claims the next queued trial of the study from the
/// shared store, trains and records it. The trial is rebuilt from its stored record, and its hash checked against the
/// study's data, so a task never trains something the submitter did not plan.
/// </summary>
public static class TrialTask
{
    /// <summary>The trial claimed and run, or null when none was queued.</summary>
    public static TrialRecord? RunNext(StudyContext context, CancellationToken cancel)
    {
        var record = context.Store.ClaimNext(context.Spec.Name, context.Worker);
        if (record is null)
        {
            context.Log("no queued trial left: nothing to do");
            return null;
        }
        return RunClaimed(context, record, cancel);
    }

    /// <summary>The trial with this hash (queued or failed), claimed and run; null when it is done or another worker holds it.</summary>
    public static TrialRecord? Run(StudyContext context, string hash, CancellationToken cancel)
    {
        var record = context.Store.Trial(hash);
        if (record is null || record.Study != context.Spec.Name) throw new ArgumentException($"study {context.Spec.Name} has no trial {hash} in its store (`pleura study status` lists them)");
        if (!context.Store.TryClaim(hash, context.Worker))
        {
            context.Log($"trial {hash} is {record.Status}{(record.Status == TrialStatus.Running ? $" on {record.Worker}" : "")}: nothing to do");
            return null;
        }
        return RunClaimed(context, context.Store.Trial(hash)!, cancel);
    }

    static TrialRecord? RunClaimed(StudyContext context, TrialRecord record, CancellationToken cancel)
    {
        TrialPlan trial;
        try
        {
            trial = Plan(context, record);
        }
        catch (InvalidDataException e)
        {
            context.Store.Fail(record.Hash, e.Message);
            throw;
        }
        context.Log($"level {record.Level}: running {trial.Label} as {context.Worker}");
        TrialQueue.RunClaimed(context, record.Level.ToString(System.Globalization.CultureInfo.InvariantCulture), trial, cancel);
        return context.Store.Trial(record.Hash);
    }

    /// <summary>The plan of a stored trial, its hash recomputed from this study's data, split and settings.</summary>
    public static TrialPlan Plan(StudyContext context, TrialRecord record)
    {
        var config = JsonSerializer.Deserialize<TrainingConfig>(record.ConfigJson, StudySpec.CompactJson)
                     ?? throw new InvalidDataException($"trial {record.Hash} has no training settings in the store");
        var combination = new Combination(RoiSchemes.Parse(record.Roi), Enum.Parse<Balancing>(record.Balancing, ignoreCase: true), record.Backbone, config.Head);
        var plan = TrialPlan.Create(combination, record.Side, record.Fold, record.Level, config, Levels.TrainingLabels(context, record.Side), context.DataFingerprint,
            context.SplitFingerprint, context.PretrainedFingerprint(record.Backbone));
        if (plan.Hash != record.Hash)
            throw new InvalidDataException($"trial {record.Hash} ({plan.Label}) does not match this study's data, split or settings (it hashes to {plan.Hash} here): " +
                                           "the task sees another manifest, split.json or pretrained file than the submitter");
        return plan;
    }
}
