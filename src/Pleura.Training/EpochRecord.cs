using System.Globalization;

namespace Pleura.Training;

/// <summary>One line of the per-epoch log.</summary>
public sealed record EpochRecord(int Stage, int Epoch, double LearningRate, double TrainLoss, double ValidationLoss,
    double ValidationMacroMae, double ValidationAccuracy, int Examples, int TrainableParameters, double Seconds, double ResidentMegabytes)
{
    public const string CsvHeader = "stage,epoch,learning_rate,train_loss,validation_loss,validation_macro_mae,validation_accuracy,examples,trainable_parameters,seconds,resident_mb";

    public string ToCsv() => string.Join(',', Stage, Epoch, F(LearningRate), F(TrainLoss), F(ValidationLoss), F(ValidationMacroMae),
        F(ValidationAccuracy), Examples, TrainableParameters, Seconds.ToString("0.00", CultureInfo.InvariantCulture),
        ResidentMegabytes.ToString("0.0", CultureInfo.InvariantCulture));

    static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Where a long run is: reported after every batch.</summary>
public sealed record TrainingProgress(int Stage, int Epoch, int Epochs, int Batch, int Batches, double RunningLoss);
