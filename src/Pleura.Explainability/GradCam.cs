using Pleura.Networks;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pleura.Explainability;

/// <summary>Grad-CAM maps of one batch: raw (at the target layer's resolution) per class, with the logits.</summary>
public sealed record GradCamMaps(float[] Logits, int Classes, int Batch, int Height, int Width, float[] Raw)
{
    /// <summary>Raw map of sample <paramref name="n"/> for class <paramref name="c"/>, row-major.</summary>
    public ReadOnlySpan<float> Map(int n, int c) => Raw.AsSpan(((n * Classes) + c) * Height * Width, Height * Width);

    public int TopClass(int n)
    {
        int best = 0;
        for (int c = 1; c < Classes; c++) if (Logits[n * Classes + c] > Logits[n * Classes + best]) best = c;
        return best;
    }

    public float[] Probabilities(int n)
    {
        var logits = Logits.AsSpan(n * Classes, Classes);
        float max = float.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        var p = new float[Classes];
        float sum = 0;
        for (int c = 0; c < Classes; c++) sum += p[c] = MathF.Exp(logits[c] - max);
        for (int c = 0; c < Classes; c++) p[c] /= sum;
        return p;
    }
}

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017) at any named layer: alpha_k = spatial mean of d(logit_c)/dA_k,
/// map_c = ReLU(sum_k alpha_k A_k). One forward pass serves every class: each class costs one backward pass.
/// </summary>
public static class GradCam
{
    /// <summary>The METHOD's default target layer of an architecture, as its registry entry names it.</summary>
    public static string DefaultLayer(string architecture) => Architectures.Get(architecture).GradCamLayer;

    /// <param name="classes">Classes to explain (default: all).</param>
    public static GradCamMaps Compute(nn.Module<Tensor, Tensor> model, string layer, Tensor input, IReadOnlyList<int>? classes = null)
    {
        if (model is EnsembleNetwork ensemble) return OfEnsemble(ensemble, layer, input, classes);
        var target = ModuleTree.DepthFirst(model).FirstOrDefault(m => m.Name == layer).Module as nn.Module<Tensor, Tensor>
            ?? throw new ArgumentException($"the network has no layer '{layer}' (layers: {string.Join(", ", ModuleTree.DepthFirst(model).Select(m => m.Name).Take(40))}, ...)");
        model.eval();
        // Only the gradient with respect to the target layer is needed: freeze the parameters and start the graph
        // at that layer, so each backward pass runs from the logits down to it and no further, with no weight gradients.
        var parameters = model.parameters().ToList();
        var trainable = parameters.Select(p => p.requires_grad).ToList();
        foreach (var p in parameters) p.requires_grad = false;
        Tensor? leaf = null, activations = null;
        var hook = target.register_forward_hook((_, _, output) =>
        {
            leaf = output.detach().requires_grad_(true).DetachFromDisposeScope();
            // A copy that later in-place layers may modify (DenseNet's final ReLU is in place, as in torchvision):
            // its retained gradient is then, as in PyTorch, the gradient at the modified values.
            activations = leaf.clone().DetachFromDisposeScope();
            activations.retain_grad();
            // Downstream code (e.g. Sequential) disposes what it is given: hand it an alias, keep the original.
            return activations.alias();
        });
        using var scope = NewDisposeScope();
        try
        {
            Tensor logits;
            using (enable_grad()) logits = model.call(input);
            if (activations is null) throw new InvalidOperationException($"layer '{layer}' did not run in the forward pass");
            int batch = (int)logits.shape[0], k = (int)logits.shape[1];
            int h = (int)activations.shape[2], w = (int)activations.shape[3];
            var which = classes ?? Enumerable.Range(0, k).ToList();
            var raw = new float[batch * k * h * w];
            for (int i = 0; i < which.Count; i++)
            {
                int c = which[i];
                activations.grad?.zero_();
                logits.select(1, c).sum().backward(retain_graph: i < which.Count - 1);
                using var inner = NewDisposeScope();
                var alpha = activations.grad!.mean(new long[] { 2, 3 }, keepdim: true);
                var cam = F.relu((alpha * activations).sum(1)).to_type(ScalarType.Float32).contiguous(); // N x h x w
                var values = cam.data<float>().ToArray();
                for (int n = 0; n < batch; n++) Array.Copy(values, n * h * w, raw, (n * k + c) * h * w, h * w);
            }
            return new GradCamMaps(logits.detach().to_type(ScalarType.Float32).data<float>().ToArray(), k, batch, h, w, raw);
        }
        finally
        {
            hook.remove();
            activations?.Dispose();
            leaf?.Dispose();
            for (int i = 0; i < parameters.Count; i++) parameters[i].requires_grad = trainable[i];
        }
    }

    /// <summary>
    /// An ensemble's maps: per class the mean of its members' maps, each from the member's own score for the class
    /// (members are separate networks, so there is no shared layer to take one gradient at), with the ensemble's logits
    /// (the log of its mean probabilities, as <see cref="EnsembleNetwork"/> answers).
    /// </summary>
    static GradCamMaps OfEnsemble(EnsembleNetwork ensemble, string layer, Tensor input, IReadOnlyList<int>? classes)
    {
        var maps = ensemble.Members.Select(m => Compute(m, layer, input, classes)).ToList();
        var first = maps[0];
        var raw = new float[first.Raw.Length];
        var logits = new float[first.Logits.Length];
        foreach (var m in maps)
            for (int i = 0; i < raw.Length; i++) raw[i] += m.Raw[i] / maps.Count;
        for (int n = 0; n < first.Batch; n++)
        {
            var mean = new double[first.Classes];
            foreach (var m in maps)
            {
                var p = m.Probabilities(n);
                for (int c = 0; c < mean.Length; c++) mean[c] += p[c] / (double)maps.Count;
            }
            for (int c = 0; c < mean.Length; c++) logits[n * first.Classes + c] = (float)Math.Log(mean[c]);
        }
        return first with { Logits = logits, Raw = raw };
    }

    /// <summary>Bilinear upsampling (align_corners = false, as torch.nn.functional.interpolate) to the input size.</summary>
    public static float[] Upsample(ReadOnlySpan<float> map, int height, int width, int toHeight, int toWidth)
    {
        using var scope = NewDisposeScope();
        var t = tensor(map.ToArray(), new long[] { 1, 1, height, width });
        var up = F.interpolate(t, new long[] { toHeight, toWidth }, mode: InterpolationMode.Bilinear, align_corners: false);
        return up.contiguous().data<float>().ToArray();
    }

    /// <summary>Divides by the maximum (a zero map stays zero).</summary>
    public static float[] Normalise(float[] map)
    {
        float max = Math.Max(map.Max(), 1e-12f);
        return map.Select(v => v / max).ToArray();
    }

    /// <summary>The class maps weighted by the model's class probabilities (METHOD: a side model's heatmap).</summary>
    public static float[] ProbabilityWeighted(GradCamMaps maps, int sample)
    {
        var p = maps.Probabilities(sample);
        var result = new float[maps.Height * maps.Width];
        for (int c = 0; c < maps.Classes; c++)
        {
            var m = maps.Map(sample, c);
            for (int i = 0; i < result.Length; i++) result[i] += p[c] * m[i];
        }
        return result;
    }
}
