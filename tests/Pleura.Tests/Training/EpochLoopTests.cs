using Pleura.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pleura.Tests.Training;

/// <summary>The epoch loop the classifier and segmentation trainers share, on a one-weight model and scripted validation losses.</summary>
public class EpochLoopTests
{
    /// <summary>A model of one weight; each epoch takes one Adam step towards 5.</summary>
    sealed class OneWeight : IDisposable
    {
        public readonly Linear Model = nn.Linear(1, 1, hasBias: false);
        public readonly Adam Optimizer;
        public readonly List<int> EpochsTrained = new();

        public OneWeight(double learningRate)
        {
            using (no_grad()) Model.weight!.fill_(0);
            Optimizer = optim.Adam(Model.parameters(), learningRate);
        }

        public float Weight => Model.weight!.item<float>();

        public EpochTraining Train(int epoch)
        {
            EpochsTrained.Add(epoch);
            var loss = (Model.weight! - 5).pow(2).sum();
            Optimizer.zero_grad();
            loss.backward();
            Optimizer.step();
            return new EpochTraining(loss.item<float>());
        }

        public void Dispose()
        {
            Optimizer.Dispose();
            Model.Dispose();
        }
    }

    static EpochStage Stage(int epochs, int patience) => new(1, epochs, 0.5, 10, 1, patience);

    [Fact]
    public void StopsAfterPatienceEpochsWithoutABetterLossKeepsTheBestWeightsAndLowersTheRateOnAPlateau()
    {
        using var dir = new TempFolder();
        using var net = new OneWeight(0.5);
        double[] losses = [3, 2, 2.5, 2.6, 2.7, 1, 1];
        var weightAfter = new Dictionary<int, float>();
        var loop = new EpochLoop(dir.Path, "h", "test run");
        var weights = new EpochCheckpoints(net.Model, dir.Path, "best.safetensors", "last.safetensors");
        bool diverged = loop.Run(Stage(7, 3) with { Plateau = new PlateauSchedule(1, 0.1), StopPrefix = "stage 1: " }, net.Optimizer, weights,
            epoch => { var t = net.Train(epoch); weightAfter[epoch] = net.Weight; return t; },
            () => new EpochValidation(losses[net.EpochsTrained[^1] - 1]));
        loop.Complete();

        Assert.False(diverged);
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, net.EpochsTrained);
        Assert.Equal("stage 1: early stop after epoch 5 (3 epochs without a better validation loss)", loop.State.StopReason);
        Assert.Equal(weightAfter[2], net.Weight);          // epoch 2 had the best validation loss
        Assert.NotEqual(weightAfter[5], net.Weight);
        // More than one bad epoch after the best: the rate falls tenfold from epoch 5 on.
        Assert.Equal(new[] { 0.5, 0.5, 0.5, 0.5, 0.05 }, loop.State.History.Select(h => Math.Round(h.LearningRate, 6)));
        Assert.Equal(6, File.ReadAllLines(Path.Combine(dir.Path, "epochs.csv")).Length);

        // A finished folder is finished: a new loop over it has nothing to run.
        Assert.True(new EpochLoop(dir.Path, "h", "test run").Completed);
        Assert.Throws<InvalidDataException>(() => new EpochLoop(dir.Path, "other", "test run"));
    }

    [Fact]
    public void AResumedRunContinuesAtTheNextEpochAndEndsAsAnUninterruptedOne()
    {
        double[] losses = [3, 2, 1.5, 1.8, 1.2, 1.1];
        EpochValidation Validate(OneWeight net) => new(losses[net.EpochsTrained[^1] - 1]);

        using var a = new TempFolder();
        using var whole = new OneWeight(0.3);
        var wholeLoop = new EpochLoop(a.Path, "h", "test run");
        wholeLoop.Run(Stage(6, 10), whole.Optimizer, new EpochCheckpoints(whole.Model, a.Path, "best.safetensors", "last.safetensors"),
            whole.Train, () => Validate(whole));

        // Stopped during epoch 4, as a killed process would be.
        using var b = new TempFolder();
        using (var stopped = new OneWeight(0.3))
            Assert.Throws<OperationCanceledException>(() => new EpochLoop(b.Path, "h", "test run").Run(Stage(6, 10), stopped.Optimizer,
                new EpochCheckpoints(stopped.Model, b.Path, "best.safetensors", "last.safetensors"),
                epoch => epoch == 4 ? throw new OperationCanceledException() : stopped.Train(epoch), () => Validate(stopped)));

        using var resumed = new OneWeight(0.3);
        var loop = new EpochLoop(b.Path, "h", "test run");
        Assert.Equal(3, loop.State.EpochsDone);
        var weights = new EpochCheckpoints(resumed.Model, b.Path, "best.safetensors", "last.safetensors");
        Assert.True(loop.Resume(weights, resumed.Optimizer));
        loop.Run(Stage(6, 10), resumed.Optimizer, weights, resumed.Train, () => Validate(resumed));

        Assert.Equal(new[] { 4, 5, 6 }, resumed.EpochsTrained);
        Assert.Equal(whole.Weight, resumed.Weight);
        Assert.Equal(wholeLoop.State.History.Select(h => (h.Epoch, h.TrainLoss, h.ValidationLoss)),
            loop.State.History.Select(h => (h.Epoch, h.TrainLoss, h.ValidationLoss)));
    }
}
