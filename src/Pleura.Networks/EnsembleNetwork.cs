using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pleura.Networks;

/// <summary>
/// Several networks of one architecture that answer as one: the mean of their class probabilities. The output is the
/// log of that mean, so the softmax every scorer applies to a network's output gives the mean itself and an ensemble
/// goes wherever one network goes (test-time augmentation, evaluate, predict, serve). A study's answer is such an
/// ensemble (its final model and the chosen combination's fold models), saved as one checkpoint.
/// </summary>
public sealed class EnsembleNetwork : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<nn.Module<Tensor, Tensor>> members;
    readonly nn.Module<Tensor, Tensor>[] _networks;

    public EnsembleNetwork(IReadOnlyList<nn.Module<Tensor, Tensor>> members) : base(nameof(EnsembleNetwork))
    {
        if (members.Count < 2) throw new ArgumentException($"an ensemble needs at least two networks, got {members.Count}", nameof(members));
        _networks = members.ToArray();
        this.members = new ModuleList<nn.Module<Tensor, Tensor>>(_networks);
        RegisterComponents();
    }

    public IReadOnlyList<nn.Module<Tensor, Tensor>> Members => _networks;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor? sum = null;
        foreach (var member in _networks)
        {
            var p = member.call(x).softmax(1);
            sum = sum is null ? p : sum + p;
        }
        return (sum! / members.Count).log().MoveToOuterDisposeScope();
    }

    /// <summary>The networks inside a model: an ensemble's members, or the model itself.</summary>
    public static IReadOnlyList<nn.Module<Tensor, Tensor>> NetworksOf(nn.Module<Tensor, Tensor> model) =>
        model is EnsembleNetwork e ? e.Members : new[] { model };
}
