namespace Pleura.Store;

/// <summary>
/// What the study pipeline needs from a results database: one SQLite file by default, or a PostgreSQL database that
/// the tasks of a cluster job share. Claiming a trial is one conditional UPDATE, atomic under concurrent writers.
/// </summary>
public interface IExperimentStore : IDisposable
{
    void SaveStudy(string name, string specJson);
    string? StudySpec(string name);

    TrialRecord? Trial(string hash);
    IReadOnlyList<TrialRecord> Trials(string study);
    /// <summary>Adds the trial as queued unless a trial with its hash exists.</summary>
    void Enqueue(TrialRecord trial);
    /// <summary>Marks a queued (or failed) trial running for this worker; false when another worker holds it or it is done.</summary>
    bool TryClaim(string hash, string worker);
    /// <summary>Claims the next queued trial of the study for this worker (rows other workers are claiming are skipped); null when none is queued.</summary>
    TrialRecord? ClaimNext(string study, string worker);
    /// <summary>Puts these trials back in the queue where they failed; returns how many.</summary>
    int Retry(IEnumerable<string> hashes);
    /// <summary>Puts trials left running by workers that are gone back in the queue (a killed run).</summary>
    int Requeue(string study, Func<string, bool> workerIsGone);
    void Finish(string hash, double seconds, string checkpoint, IEnumerable<MetricRecord> metrics, IEnumerable<EpochLog> epochs);
    void Fail(string hash, string reason);

    IReadOnlyList<MetricRecord> Metrics(string study);
    IReadOnlyList<EpochLog> Epochs(string trialHash);

    void ReplaceResults(string study, string level, IEnumerable<ResultRecord> results);
    IReadOnlyList<ResultRecord> Results(string study);

    void AddArtefact(ArtefactRecord artefact);
    IReadOnlyList<ArtefactRecord> Artefacts(string study);
}
