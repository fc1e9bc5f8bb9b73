using Pleura.Data;
using Pleura.Imaging;
using Pleura.Networks;
using Pleura.Networks.Weights;
using Pleura.Phantoms;
using Pleura.Study;

namespace Pleura.Tests.Robustness;

/// <summary>
/// Property-based tests (<see cref="Mutants"/>): valid manifests, PNGs, split files, study files, safetensors and .pth
/// files damaged at random (bytes overwritten or flipped, runs of junk inserted, ranges zeroed, the file cut short;
/// for text files also lines dropped or doubled and values replaced) must be read or refused with a named error that
/// names the file. Never an unhandled exception type, never a hang (each read has <see cref="TimeLimit"/>), and for the
/// binary formats never more managed memory than <see cref="AllocationBound"/> allows for the file's size. Each
/// property draws the same mutants on every run (its own stream of <see cref="Mutants.Seed"/>).
/// </summary>
public class MutationProperties : IClassFixture<MutationProperties.ValidFiles>
{
    static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(20);

    /// <summary>The stated bound: 64 MiB plus 32 bytes of managed allocation per byte of input.</summary>
    static long AllocationBound(long fileLength) => (64L << 20) + 32 * fileLength;

    public sealed class ValidFiles : IDisposable
    {
        readonly TempFolder _folder = new();
        public byte[] Manifest { get; }
        public byte[] Png { get; }
        public byte[] Safetensors { get; }
        public byte[] Pth { get; }
        public byte[] LegacyPth { get; }
        public byte[] Split { get; }
        public byte[] ClassificationSplit { get; }
        public byte[] StudyYaml { get; }
        public byte[] StudyJson { get; }
        public string Folder => _folder.Path;
        public string ManifestPath => _folder.File("ph/manifest.csv");
        /// <summary>The valid file's header: its 8-byte length and the JSON after it.</summary>
        public int SafetensorsHeaderEnd { get; }

        public ValidFiles()
        {
            var manifest = PhantomDataset.Generate(new PhantomOptions { Count = 12, Size = 48, Seed = 3 }, _folder.File("ph"));
            Manifest = File.ReadAllBytes(ManifestPath);
            Png = File.ReadAllBytes(manifest.ResolvePath(manifest.Rows[0]));
            using (var model = Architectures.Get("resnet10-w16").Create(4, 1))
                Pleura.Networks.Weights.Safetensors.Write(_folder.File("w.safetensors"), StateDicts.Ordered(model));
            Safetensors = File.ReadAllBytes(_folder.File("w.safetensors"));
            SafetensorsHeaderEnd = 8 + (int)BitConverter.ToUInt64(Safetensors, 0);
            Pth = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "zip-mixed.pth"));
            LegacyPth = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "chexnet-legacy.pth.tar"));

            PatientSplitter.Split(manifest, new SplitOptions { Folds = 3, Seed = 5 }).Save(_folder.File("split.json"));
            Split = File.ReadAllBytes(_folder.File("split.json"));
            var classified = manifest.Rows.Select((r, i) => new ClassifiedImage(r.ImageId, r.PatientId, i % 2 == 0 ? "frontal" : "lateral")).ToList();
            ClassificationSplitter.Split(classified, testFraction: 0.25, folds: 2, seed: 4).Save(_folder.File("classes.json"));
            ClassificationSplit = File.ReadAllBytes(_folder.File("classes.json"));

            // A study file with every section, so that damage reaches each kind of value; its pretrained file exists.
            StudyYaml = System.Text.Encoding.UTF8.GetBytes("""
                # a study of every section
                name: damaged-study
                manifest: ph/manifest.csv
                readers:
                  left: { reader1: left_grade, reader2: left_grade_r2 }
                  right:
                    reader1: right_grade
                    reader2: right_grade_r2
                groups: [sex, age]
                grid:
                  roi: [none, lung]
                  balancing:
                    - under
                    - over
                  backbones: [resnet10-w16]
                  sides: [left, right]
                folds: 3
                top_k: 2
                selection: { mae_weight: 0.7, hcs_weight: 0.3 }
                split:
                  seed: 7
                  oob_fraction: 0.2
                training:
                  image_size: 64
                  input_channels: 1
                  batch_size: 16
                  stage1_epochs: 2
                  stage2_epochs: 3
                  stage1_learning_rate: 0.003
                  stage2_learning_rate: 0.002
                  unfreeze_conv_layers: -1
                  balancing: under
                  decision: expected
                pretrained:
                  resnet10-w16: w.safetensors
                seed: 3
                cache: true
                bootstrap: 200
                min_group_size: 5
                heatmaps: false
                ensemble: true
                cross_validation: { folds: 3, seed: 9, candidates: top_k }
                slurm:
                  partition: gpu
                  cpus_per_task: 2
                  memory: 4G
                  options: [--account=x]

                """);
            File.WriteAllBytes(_folder.File("study.yaml"), StudyYaml);
            File.WriteAllText(_folder.File("study.json"), StudySpec.Load(_folder.File("study.yaml")).ToJson()
                .Replace(_folder.Path + Path.DirectorySeparatorChar, "", StringComparison.Ordinal));
            StudyJson = File.ReadAllBytes(_folder.File("study.json"));
            StudySpec.Load(_folder.File("study.json")); // both are valid
        }

        public void Dispose() => _folder.Dispose();
    }

    readonly ValidFiles _files;
    public MutationProperties(ValidFiles files) => _files = files;

    void Check(byte[] valid, int stream, string extension, Action<string> read, Type named, bool text = false, int from = 0, int? to = null) =>
        Mutants.EachIsReadOrRefusedByName(valid, text ? Mutants.Text : Mutants.Binary, stream, _files.Folder, extension, read, TimeLimit,
            [named], text ? null : AllocationBound, from, to);

    [Fact]
    public void MutatedManifestsAreReadOrRefusedByName() =>
        Check(_files.Manifest, 1, ".csv", path => ManifestInput.Open(path, labelColumns: null), typeof(InvalidDataException), text: true);

    [Fact]
    public void MutatedPngsAreReadOrRefusedByName() =>
        Check(_files.Png, 2, ".png", path =>
        {
            RadiographReader.ReadResized(path, 32, 32);
            RadiographReader.Read(path);
        }, typeof(ImageReadException));

    [Fact]
    public void MutatedSafetensorsAreReadOrRefusedByName() =>
        Check(_files.Safetensors, 3, ".safetensors", ReadSafetensors, typeof(InvalidDataException));

    /// <summary>The same, with every edit inside the header (the length and the JSON), where a random edit of a 1 MB file seldom lands.</summary>
    [Fact]
    public void SafetensorsWithADamagedHeaderAreRefusedByName() =>
        Check(_files.Safetensors, 4, ".safetensors", ReadSafetensors, typeof(InvalidDataException), to: _files.SafetensorsHeaderEnd);

    static void ReadSafetensors(string path)
    {
        var contents = Safetensors.Read(path);
        foreach (var (_, t) in contents.Tensors) t.Dispose();
    }

    /// <summary>
    /// A damaged .pth (the zip container of torch.save) is read or refused with its reason; no crash of the unpickler
    /// is renamed by a catch-all (the reader has none: each damage is checked where it is met).
    /// </summary>
    [Fact]
    public void MutatedPthFilesAreReadOrRefusedByName() => Check(_files.Pth, 5, ".pth", ReadPth, typeof(InvalidDataException));

    /// <summary>The same for the legacy container (torch.save before 1.6, e.g. CheXNet's), whose pickles no zip CRC guards.</summary>
    [Fact]
    public void MutatedLegacyPthFilesAreReadOrRefusedByName() => Check(_files.LegacyPth, 10, ".pth.tar", ReadPth, typeof(InvalidDataException));

    static void ReadPth(string path)
    {
        var file = PyTorchCheckpoint.Read(path);
        foreach (var (_, t) in file.StateDict) t.Dispose();
    }

    /// <summary>
    /// A damaged split file is refused, or it is used as `train` and `evaluate` use it: bound to its manifest
    /// (<see cref="SplitBinding"/>), then every part of every fold and every manifest image's part looked up.
    /// </summary>
    [Fact]
    public void MutatedSplitFilesAreReadOrRefusedByName()
    {
        var manifest = ManifestInput.Open(_files.ManifestPath, labelColumns: null);
        Check(_files.Split, 6, ".json", path =>
        {
            var plan = SplitPlan.Load(path);
            SplitBinding.Check(plan, manifest, path, _files.ManifestPath);
            for (int fold = 1; fold <= plan.FoldCount; fold++)
            {
                foreach (var part in Enum.GetValues<SplitPart>()) plan.Images(part, fold);
                foreach (var row in manifest.Rows) plan.PartOfImage(row.ImageId, fold);
            }
        }, typeof(InvalidDataException), text: true);
    }

    /// <summary>A damaged classifier split is refused, or its test part and every fold can be taken.</summary>
    [Fact]
    public void MutatedClassificationSplitFilesAreReadOrRefusedByName() =>
        Check(_files.ClassificationSplit, 7, ".json", path =>
        {
            var split = ClassificationSplit.Load(path);
            _ = split.Test.Concat(split.Development).Select(i => (i.ImageId, i.Patient, i.Class)).ToList();
            for (int fold = 1; fold <= split.Folds; fold++) split.Fold(fold);
        }, typeof(InvalidDataException), text: true);

    /// <summary>A damaged YAML study file is refused naming the file, or read into a spec that can be saved and run (its JSON, the lungs of its grid).</summary>
    [Fact]
    public void MutatedStudyFilesAreReadOrRefusedByName() =>
        Check(_files.StudyYaml, 8, ".yaml", ReadStudy, typeof(InvalidDataException), text: true);

    [Fact]
    public void MutatedJsonStudyFilesAreReadOrRefusedByName() =>
        Check(_files.StudyJson, 9, ".json", ReadStudy, typeof(InvalidDataException), text: true);

    static void ReadStudy(string path)
    {
        var spec = StudySpec.Load(path);
        _ = spec.ToJson();
        _ = spec.Grid.Lungs();
        _ = spec.Training.Hash();
    }
}
