using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pleura.Training;

/// <summary>
/// Random rotation, scaling and translation (METHOD section 5's over-sampling augmentations), never flips: left and
/// right must stay where they are. Each copy's transform comes from its own seed, so the set is reproducible.
/// </summary>
public sealed record Augmenter(double MaxRotationDegrees = 10, double MaxScale = 0.1, double MaxTranslation = 0.06)
{
    /// <summary>Transforms a batch of images (N x C x H x W); one seed per image.</summary>
    public Tensor Apply(Tensor images, IReadOnlyList<int> seeds)
    {
        using var scope = NewDisposeScope();
        long n = images.shape[0];
        var theta = new float[n * 6];
        for (int i = 0; i < n; i++)
        {
            var r = new Random(seeds[i]);
            double angle = (r.NextDouble() * 2 - 1) * MaxRotationDegrees * Math.PI / 180;
            double scale = 1 + (r.NextDouble() * 2 - 1) * MaxScale;
            double tx = (r.NextDouble() * 2 - 1) * MaxTranslation * 2, ty = (r.NextDouble() * 2 - 1) * MaxTranslation * 2;
            // affine_grid maps output to input coordinates: the inverse of "scale then rotate".
            double c = Math.Cos(angle) / scale, s = Math.Sin(angle) / scale;
            theta[i * 6 + 0] = (float)c; theta[i * 6 + 1] = (float)-s; theta[i * 6 + 2] = (float)tx;
            theta[i * 6 + 3] = (float)s; theta[i * 6 + 4] = (float)c; theta[i * 6 + 5] = (float)ty;
        }
        var grid = F.affine_grid(tensor(theta, new long[] { n, 2, 3 }), images.shape, align_corners: false);
        return F.grid_sample(images, grid, align_corners: false).MoveToOuterDisposeScope();
    }
}
