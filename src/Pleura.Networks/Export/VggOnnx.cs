using Pleura.Networks.Backbones;
using TorchSharp.Modules;
using static Pleura.Networks.Export.OnnxLayers;

namespace Pleura.Networks.Export;

/// <summary>VGG as ONNX, following <see cref="Vgg.forward"/>: the trunk, torch's adaptive 7x7 pool, the classifier.</summary>
public static class VggOnnx
{
    public static OnnxValue Emit(OnnxGraph g, Vgg net, OnnxValue x)
    {
        ExpectChildren(net, "", "features", "avgpool", "classifier");
        x = Sequence(g, "features", Child<Sequential>(net, "", "features"), x);
        x = Flatten(g, "avgpool", AdaptiveAvgPool(g, "avgpool", Child<AdaptiveAvgPool2d>(net, "", "avgpool"), x));
        return Sequence(g, "classifier", Child<Sequential>(net, "", "classifier"), x);
    }
}
