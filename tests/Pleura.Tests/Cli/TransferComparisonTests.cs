using Pleura.Datasets;
using Pleura.Evaluation;
using Pleura.Imaging;
using Pleura.Phantoms;
using Pleura.Training;
using Pleura.Transfer;

namespace Pleura.Tests.Cli;

[Collection("console")]
public class TransferComparisonTests
{
    [Fact]
    public void PairedDifferenceMatchesTheStudentTInterval()
    {
        // Reference: mean, SD (n - 1) and the 95% interval with t(0.975, 4) = 2.7764451051977987, computed by hand.
        var d = PairedDifference.Of(new[] { 0.5, 0.6, 0.55, 0.7, 0.65 }, new[] { 0.6, 0.62, 0.7, 0.72, 0.75 });
        Assert.Equal(0.078, d.Mean, 12);
        Assert.Equal(0.05674504383644439, d.StandardDeviation, 12);
        Assert.Equal(0.007541721991792441, d.Interval.Low, 9);
        Assert.Equal(0.14845827800820754, d.Interval.High, 9);
        Assert.Equal((5, 0), (d.Positive, d.Negative));
        Assert.True(d.Excludes0);
        Assert.Throws<ArgumentException>(() => PairedDifference.Of(new[] { 1.0 }, new[] { 2.0 }));
    }

    [Fact]
    public void HoldOutKeepsPatientsTogetherAndClassesInProportion()
    {
        // 300 patients with one to three images each; class by patient.
        var items = new List<LabelledItem>();
        for (int p = 0; p < 300; p++)
            for (int k = 0; k <= p % 3; k++)
                items.Add(new LabelledItem($"p{p}-{k}.png", p % 4 == 0 ? "rare" : "common", $"p{p}"));
        var parts = LabelledSource.HoldOut(items, new[] { 0.15, 0.25 }, seed: 3);
        Assert.Equal(parts, LabelledSource.HoldOut(items, new[] { 0.15, 0.25 }, seed: 3));
        Assert.NotEqual(parts, LabelledSource.HoldOut(items, new[] { 0.15, 0.25 }, seed: 4));
        foreach (var patient in items.Select((item, i) => (item, i)).GroupBy(x => x.item.Patient))
            Assert.Single(patient.Select(x => parts[x.i]).Distinct());
        foreach (var cls in new[] { "rare", "common" })
        {
            var ofClass = items.Select((item, i) => (item, i)).Where(x => x.item.Class == cls).Select(x => parts[x.i]).ToList();
            Assert.InRange(ofClass.Count(p => p == 1) / (double)ofClass.Count, 0.10, 0.20);
            Assert.InRange(ofClass.Count(p => p == 2) / (double)ofClass.Count, 0.20, 0.30);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => LabelledSource.HoldOut(items, new[] { 0.6, 0.5 }, 1));
    }

    [Fact]
    public void LabelTablesAreReadWithTheirOwnColumnNamesAndBadRowsAreReported()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("set.csv"), "path,class,patient\na.png,x,p1\nb.png,y,\n");
        var items = LabelledSource.Read(dir.File("set.csv")).Items;
        Assert.Equal("p1", items[0].Patient);
        Assert.Equal(items[1].Path, items[1].Patient); // no patient: the image stands alone

        // A metadata table as exported: other column names, a blank view, a class to merge, a malformed row.
        File.WriteAllText(dir.File("meta.csv"), "patientid,view,filename\n7,PA,a.jpg\n7,AP Supine,b.jpg\n8,,c.jpg\n9,AP,d.jpg,extra\n9,L,e.jpg\n");
        var format = new LabelledSourceFormat
        {
            PathColumn = "filename", ClassColumn = "view", PatientColumn = "patientid", ImageFolder = dir.File("images"),
            Merge = LabelledSourceFormat.ParseMerge(new[] { "AP Supine=AP" }),
        };
        var set = LabelledSource.Read(dir.File("meta.csv"), new[] { "PA", "AP" }, format);
        Assert.Equal(new[] { "PA", "AP" }, set.Items.Select(i => i.Class));
        Assert.Equal(new[] { "7", "7" }, set.Items.Select(i => i.Patient));
        Assert.Equal(dir.File("images/b.jpg"), set.Items[1].Path);
        Assert.Equal(2, set.LeftOut.Count);
        Assert.Contains(set.LeftOut, m => m.Contains("line 4") && m.Contains("no view"));
        Assert.Contains(set.LeftOut, m => m.Contains("line 5") && m.Contains("fields"));
        var log = set.ReportLeftOut(dir.File("out/left-out.txt"), shown: 1).ToList();
        Assert.Equal(2, log.Count);
        Assert.Contains("2 rows left out", log[1]);
        Assert.Equal(set.LeftOut, File.ReadAllLines(dir.File("out/left-out.txt")));

        Assert.Contains("no images of class LL", Assert.Throws<InvalidDataException>(() =>
            LabelledSource.Classes(set.Items, new[] { "PA", "LL" }, "meta.csv")).Message);
        // Decoding checks the requested classes against the whole table, so the message lists every class there is.
        Assert.Contains("classes found: AP, L, PA", Assert.Throws<InvalidDataException>(() => LabelledSource.Decode(dir.File("meta.csv"), new[] { "PA", "LL" },
            format, 32, ErrorPolicy.Continue, dir.File("out/left-out-2.txt"), _ => { })).Message);
        Assert.Contains("'nope'", Assert.Throws<InvalidDataException>(() =>
            LabelledSource.Read(dir.File("meta.csv"), null, format with { PatientColumn = "nope" })).Message);
        Assert.Throws<ArgumentException>(() => LabelledSourceFormat.ParseMerge(new[] { "AP" }));
        Assert.Contains("both", Assert.Throws<ArgumentException>(() => LabelledSourceFormat.ParseMerge(new[] { "L=AP", "L=PA" })).Message);
        Assert.Contains("no such folder", Assert.Throws<FileNotFoundException>(() => LabelledSource.Read(dir.File("missing.csv"))).Message);
    }

    [Fact]
    public void ScoresFollowTheirDefinitions()
    {
        var truth = new[] { 0, 0, 1, 1 };
        var probabilities = new[] { new[] { 0.9f, 0.1f }, new[] { 0.4f, 0.6f }, new[] { 0.3f, 0.7f }, new[] { 0.2f, 0.8f } };
        var run = TransferComparison.Score(1, 0, "scratch", 10, truth, probabilities, 2);
        Assert.Equal(0.75, run.Accuracy, 12);
        Assert.Equal((0.5 + 1.0) / 2, run.BalancedAccuracy, 12);
        Assert.Equal(1.0, run.MacroAuc, 12);
        double logLoss = -(Math.Log(0.9) + Math.Log(0.4) + Math.Log(0.7) + Math.Log(0.8)) / 4;
        Assert.Equal(logLoss, run.LogLoss, 6);
    }

    [Fact]
    public void APretrainedOpacityBackboneBeatsScratchOnAFewImagesAndRunsResume()
    {
        using var dir = new TempFolder();
        // Source task: are both lungs clear or severely opaque? Target task, on new phantoms: is the right lung opaque (the
        // left one clear), with four training images per class and the head alone trained. Opacity features transfer;
        // random ones do not (measured: pretrained AUC 0.92-0.97 on three splits, scratch 0.25-0.66).
        void Write(string folder, int seed, int count, bool both)
        {
            for (int i = 0; i < count; i++)
            {
                int grade = i % 2 == 0 ? 0 : 3;
                var p = PhantomDataset.RenderOne(seed, i, 48, both ? grade : 0, grade);
                PngWriter.Write(new GreyImage(48, 48, p.Image), dir.File($"{folder}/{(grade == 0 ? "clear" : "severe")}/{i}.png"));
            }
        }
        Write("source", 8, 160, both: true);
        Write("target", 9, 120, both: false);
        Assert.Equal(0, CliRunner.Run("pretrain", dir.File("source"), "-o", dir.File("pre.safetensors"), "--arch", "resnet10-w16", "--size", "48",
            "--grey", "sum", "--epochs2", "8", "--batch", "16", "--lr2", "3e-3"));

        var job = new TransferComparisonJob
        {
            Input = new LabelledInput(dir.File("target")),
            Pretrained = dir.File("pre.safetensors"),
            Output = dir.File("cmp"),
            TrainSizes = new[] { 4 },
            Repeats = 3,
            Training = new TrainingConfig { ImageSize = 48, BatchSize = 8, Stage1Epochs = 10, Stage2Epochs = 0, Stage1LearningRate = 3e-3 },
        };
        var result = TransferComparison.Run(job);
        Assert.Equal(6, result.Runs.Count);
        Assert.All(result.Runs, r => Assert.Equal(8, r.TrainImages));
        var auc = result.Points.Single(p => p.Metric == "macro_auc");
        Assert.True(auc.Pretrained > auc.Scratch + 0.1, $"pretrained AUC {auc.Pretrained:0.000} vs scratch {auc.Scratch:0.000}");
        Assert.True(File.Exists(dir.File("cmp/transfer-summary.csv")));

        // A second run finds every training run finished and scores the same.
        var again = TransferComparison.Run(job);
        Assert.Equal(result.Runs.Select(r => r.MacroAuc), again.Runs.Select(r => r.MacroAuc));
        Assert.All(again.Runs.Zip(result.Runs), x => Assert.Equal(x.Second.Epochs, x.First.Epochs));

        // The command: table, CSVs and the learning-curve figure.
        Assert.Equal(0, CliRunner.Run("bench", "transfer", dir.File("target"), "--pretrained", dir.File("pre.safetensors"), "-o", dir.File("cli"),
            "--sizes", "4", "0", "--repeats", "2", "--epochs1", "1", "--epochs2", "1", "--batch", "8", "--unfreeze", "-1"));
        Assert.Equal(9, File.ReadAllLines(dir.File("cli/transfer-runs.csv")).Length);
        Assert.True(File.Exists(dir.File("cli/transfer-curve.png")));

        // `train`'s training options reach the runs (they were once dropped): a SORD loss trains under other settings.
        var (code, printed) = CliRunner.RunCaptured("bench", "transfer", dir.File("target"), "--pretrained", dir.File("pre.safetensors"), "-o", dir.File("sord"),
            "--sizes", "4", "--repeats", "2", "--epochs1", "1", "--epochs2", "0", "--batch", "8", "--unfreeze", "-1", "--loss", "sord");
        Assert.True(code == 0, printed);
        static string Hash(string run) => System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Directory.GetFiles(run, "state.json", SearchOption.AllDirectories).Single()))!["ConfigHash"]!.ToString();
        Assert.NotEqual(Hash(dir.File("cli/runs/repeat1-n4-scratch")), Hash(dir.File("sord/runs/repeat1-n4-scratch")));
    }
}
