using System.IO.Compression;
using System.Text;
using Pleura.Networks.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Pleura.Tests.Networks;

/// <summary>PyTorch checkpoint files (written by python3-torch 1.13, see Fixtures/make_pth.py) read without Python.</summary>
public class PyTorchCheckpointTests
{
    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    static void AssertFormula(Tensor actual, string formulaKey, ScalarType storedAs)
    {
        var expected = FormulaWeights.For(formulaKey, actual.shape).to_type(storedAs).to_type(ScalarType.Float64);
        Assert.True(expected.allclose(actual.to_type(ScalarType.Float64), 0, 0), $"{formulaKey} differs");
    }

    [Fact]
    public void ZipCheckpointWithMixedDtypesStridesOffsetsAndSharedStorages()
    {
        using var scope = NewDisposeScope();
        var file = PyTorchCheckpoint.Read(Fixture("zip-mixed.pth"));
        Assert.StartsWith("zip", file.Container);
        var sd = file.StateDict.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(new[] { "conv1.weight", "bn1.running_var", "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer2.0.conv1.weight",
            "fc.weight", "fc.bias", "layer1.0.bn1.weight", "layer1.0.bn1.bias" }, file.StateDict.Select(kv => kv.Key));
        AssertFormula(sd["conv1.weight"], "conv1.weight", ScalarType.Float32);
        AssertFormula(sd["bn1.running_var"], "bn1.running_var", ScalarType.Float32);
        Assert.Equal(5L, sd["bn1.num_batches_tracked"].item<long>());
        Assert.Equal(ScalarType.Float16, sd["layer1.0.conv1.weight"].dtype);
        AssertFormula(sd["layer1.0.conv1.weight"], "layer1.0.conv1.weight", ScalarType.Float16);
        Assert.Equal(ScalarType.BFloat16, sd["layer2.0.conv1.weight"].dtype);
        AssertFormula(sd["layer2.0.conv1.weight"], "layer2.0.conv1.weight", ScalarType.BFloat16);
        AssertFormula(sd["fc.weight"], "fc.weight", ScalarType.Float32);   // stored transposed (strides 1, 4)
        AssertFormula(sd["fc.bias"], "fc.bias", ScalarType.Float32);       // storage offset 3
        AssertFormula(sd["layer1.0.bn1.bias"], "layer1.0.bn1.weight", ScalarType.Float32); // shares the weight's storage
        Assert.Empty(file.UnsupportedGlobals);
    }

    [Theory]
    [InlineData("chexnet-legacy.pth.tar", "legacy")]
    [InlineData("chexnet-zip.pth.tar", "zip")]
    public void CheXNetStyleCheckpointsFindTheStateDictAndMapOldNames(string name, string container)
    {
        using var scope = NewDisposeScope();
        var file = PyTorchCheckpoint.Read(Fixture(name));
        Assert.StartsWith(container, file.Container);
        Assert.Equal("['state_dict']", file.StateDictLocation);
        Assert.Contains("epoch", file.TopLevelKeys);
        var modelKeys = new HashSet<string> { "features.conv0.weight", "features.denseblock1.denselayer1.norm1.weight", "classifier.weight", "classifier.bias" };
        var (mapped, renamed) = KeyMapping.Apply(file.StateDict, modelKeys);
        var keys = mapped.Select(kv => kv.Key).ToList();
        Assert.Equal(new[]
        {
            "features.conv0.weight", "features.denseblock1.denselayer1.norm1.weight", "features.denseblock1.denselayer1.norm1.running_mean",
            "features.denseblock1.denselayer1.conv1.weight", "features.denseblock1.denselayer1.norm2.weight", "features.denseblock1.denselayer1.conv2.weight",
            "classifier.weight", "classifier.bias",
        }, keys);
        Assert.Equal(8, renamed.Count);
        Assert.Contains(("module.densenet121.features.denseblock1.denselayer1.norm.1.weight", "features.denseblock1.denselayer1.norm1.weight"), renamed);
        // Values come from the original names (the formula is keyed by them).
        AssertFormula(mapped[1].Value, "features.denseblock1.denselayer1.norm.1.weight", ScalarType.Float32);
        AssertFormula(mapped[6].Value, "classifier.0.weight", ScalarType.Float32);
    }

    [Fact]
    public void AHostilePickleIsRefusedAndNeverRun()
    {
        using var dir = new TempFolder();
        var marker = dir.File("pwned");
        // GLOBAL os.system, the argument "touch <marker>", REDUCE: executing this pickle would create the marker file.
        var pickle = new List<byte> { 0x80, 2, (byte)'}', (byte)'X' };
        void Text(string s) { var b = Encoding.UTF8.GetBytes(s); pickle.AddRange(BitConverter.GetBytes(b.Length)); pickle.AddRange(b); }
        Text("w");
        pickle.AddRange(Encoding.ASCII.GetBytes("cos\nsystem\n"));
        pickle.Add((byte)'X');
        Text("touch " + marker);
        pickle.AddRange(new byte[] { 0x85, (byte)'R', (byte)'s', (byte)'.' });
        using (var zip = ZipFile.Open(dir.File("evil.pth"), ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("evil/data.pkl").Open();
            s.Write(pickle.ToArray());
        }
        var e = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Read(dir.File("evil.pth")));
        Assert.Contains("os.system", e.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void NonCheckpointsAreRefusedWithTheReason()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("notes.pth"), "hello");
        var e = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Read(dir.File("notes.pth")));
        Assert.Contains(dir.File("notes.pth"), e.Message);
        var bytes = File.ReadAllBytes(Fixture("chexnet-legacy.pth.tar"));
        File.WriteAllBytes(dir.File("cut.pth.tar"), bytes[..(bytes.Length - 100)]);
        Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Read(dir.File("cut.pth.tar")));
    }
}
