using CsCheck;
using Pleura.Data;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Phantoms;

namespace Pleura.Tests.Robustness;

/// <summary>
/// Property-based tests: valid manifests, PNGs, safetensors and .pth files mutated at random (bytes overwritten, runs
/// of junk inserted, ranges zeroed, the file cut short) must be read or refused with a named error. Never an
/// unhandled exception type, never a hang (each read has <see cref="TimeLimit"/>), and never more managed memory
/// than <see cref="AllocationBound"/> allows for the file's size.
/// </summary>
public class MutationProperties : IClassFixture<MutationProperties.ValidFiles>
{
    static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(20);
    // 150 mutants per format in CI; PLEURA_PROPERTY_ITERATIONS asks for a longer soak.
    static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("PLEURA_PROPERTY_ITERATIONS"), out var n) ? n : 150;

    /// <summary>The stated bound: 64 MiB plus 32 bytes of managed allocation per byte of input.</summary>
    static long AllocationBound(long fileLength) => (64L << 20) + 32 * fileLength;

    public sealed class ValidFiles : IDisposable
    {
        readonly TempFolder _folder = new();
        public byte[] Manifest { get; }
        public byte[] Png { get; }
        public byte[] Safetensors { get; }
        public byte[] Pth { get; }
        public string Folder => _folder.Path;

        public ValidFiles()
        {
            var manifest = PhantomDataset.Generate(new PhantomOptions { Count = 12, Size = 48, Seed = 3 }, _folder.File("ph"));
            Manifest = File.ReadAllBytes(_folder.File("ph/manifest.csv"));
            Png = File.ReadAllBytes(manifest.ResolvePath(manifest.Rows[0]));
            using (var model = Architectures.Get("resnet10-w16").Create(4, 1))
                Pleura.Networks.Weights.Safetensors.Write(_folder.File("w.safetensors"), StateDicts.Ordered(model));
            Safetensors = File.ReadAllBytes(_folder.File("w.safetensors"));
            Pth = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "zip-mixed.pth"));
        }

        public void Dispose() => _folder.Dispose();
    }

    readonly ValidFiles _files;
    public MutationProperties(ValidFiles files) => _files = files;

    /// <summary>One edit of a file: what, where, with which byte and how long a run.</summary>
    sealed record Mutation(int Kind, double Where, byte Value, int Length);

    static readonly Gen<Mutation[]> Mutations =
        Gen.Select(Gen.Int[0, 3], Gen.Double[0, 1], Gen.Byte, Gen.Int[1, 64], (k, w, v, n) => new Mutation(k, w, v, n)).Array[1, 6];

    static byte[] Apply(byte[] valid, Mutation[] mutations)
    {
        var bytes = valid.ToList();
        foreach (var m in mutations)
        {
            if (bytes.Count == 0) break;
            int at = Math.Min(bytes.Count - 1, (int)(m.Where * bytes.Count));
            switch (m.Kind)
            {
                case 0: bytes[at] = m.Value; break; // one byte overwritten
                case 1: bytes.InsertRange(at, Enumerable.Range(0, m.Length).Select(i => (byte)(m.Value * (i + 1)))); break; // junk inserted
                case 2: for (int i = at; i < Math.Min(bytes.Count, at + m.Length); i++) bytes[i] = 0; break; // a range zeroed
                default: bytes.RemoveRange(at, bytes.Count - at); break; // cut short
            }
        }
        return bytes.ToArray();
    }

    /// <summary>Reads every mutant of <paramref name="valid"/>; only the named error types may escape, within the time and memory bounds.</summary>
    void Check(byte[] valid, string extension, Action<string> read, params Type[] named)
    {
        Mutations.Sample(mutations =>
        {
            var bytes = Apply(valid, mutations);
            var path = Path.Combine(_files.Folder, $"mutant-{Guid.NewGuid():N}{extension}");
            File.WriteAllBytes(path, bytes);
            try
            {
                long allocated = 0;
                var task = Task.Run(() =>
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    try { read(path); }
                    finally { allocated = GC.GetAllocatedBytesForCurrentThread() - before; }
                });
                try
                {
                    if (!task.Wait(TimeLimit)) throw new TimeoutException($"reading a {bytes.Length}-byte mutant took over {TimeLimit.TotalSeconds} s");
                }
                catch (AggregateException e) when (e.InnerException is { } inner && named.Any(t => t.IsInstanceOfType(inner)))
                {
                    Assert.Contains(path, inner.Message); // the error names the file
                }
                catch (AggregateException e)
                {
                    Assert.Fail($"an unnamed error escaped: {e.InnerException}");
                }
                Assert.True(allocated <= AllocationBound(bytes.Length), $"{allocated} bytes allocated for a {bytes.Length}-byte file");
            }
            finally { File.Delete(path); }
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void MutatedManifestsAreReadOrRefusedByName() =>
        Check(_files.Manifest, ".csv", path => ManifestInput.Open(path, labelColumns: null), typeof(InvalidDataException));

    [Fact]
    public void MutatedPngsAreReadOrRefusedByName() =>
        Check(_files.Png, ".png", path =>
        {
            RadiographReader.ReadResized(path, 32, 32);
            RadiographReader.Read(path);
        }, typeof(ImageReadException));

    [Fact]
    public void MutatedSafetensorsAreReadOrRefusedByName() =>
        Check(_files.Safetensors, ".safetensors", path =>
        {
            var contents = Safetensors.Read(path);
            foreach (var (_, t) in contents.Tensors) t.Dispose();
        }, typeof(InvalidDataException));

    [Fact]
    public void MutatedPthFilesAreReadOrRefusedByName() =>
        Check(_files.Pth, ".pth", path =>
        {
            var file = PyTorchCheckpoint.Read(path);
            foreach (var (_, t) in file.StateDict) t.Dispose();
        }, typeof(InvalidDataException));
}
