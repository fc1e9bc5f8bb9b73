using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pleura.Training;

/// <summary>What a classifier is trained to minimise.</summary>
public enum LossKind
{
    /// <summary>Cross-entropy on the class (METHOD section 6): every wrong grade costs the same.</summary>
    CrossEntropy,
    /// <summary>
    /// Soft ordinal labels (SORD; Díaz and Marathe, CVPR 2019): cross-entropy against the target distribution
    /// softmax(-(k - y)²), so a neighbouring grade costs less than a far one. The network keeps its softmax head.
    /// </summary>
    Sord,
}

public static class Losses
{
    public static Tensor Mean(LossKind kind, Tensor logits, Tensor labels) => kind switch
    {
        LossKind.Sord => Sord(logits, labels).mean(),
        _ => F.cross_entropy(logits, labels),
    };

    public static Tensor Sum(LossKind kind, Tensor logits, Tensor labels) => kind switch
    {
        LossKind.Sord => Sord(logits, labels).sum(),
        _ => F.cross_entropy(logits, labels, reduction: nn.Reduction.Sum),
    };

    /// <summary>The soft ordinal targets of integer <paramref name="labels"/> over <paramref name="classes"/> classes.</summary>
    public static Tensor SordTargets(Tensor labels, long classes)
    {
        var k = arange(classes, dtype: ScalarType.Float32, device: labels.device).unsqueeze(0);
        var y = labels.to_type(ScalarType.Float32).unsqueeze(1);
        return F.softmax(-(k - y).pow(2), 1);
    }

    static Tensor Sord(Tensor logits, Tensor labels)
    {
        var logProbabilities = F.log_softmax(logits.to_type(ScalarType.Float32), 1);
        return -(SordTargets(labels, logits.shape[1]) * logProbabilities).sum(1);
    }
}
