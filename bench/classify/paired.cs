#:project ../../src/Pleura.Classification/Pleura.Classification.csproj
#:property PublishAot=false
// Issue 15: the pneumonia-type CNN against the confound baseline on the same test images, paired.
//   pleura classify train runs/classify/pneumonia.csv -o RUN --seed 42 ...   (writes RUN/report/test_predictions.csv)
//   dotnet run bench/classify/paired.cs RUN [DATA]
// The baseline (image statistics only, never the lungs) is refitted on the same patient-level split (seed 42); per class
// DeLong's test of the AUC difference (CNN - baseline) and McNemar's exact test of accuracy.
using System.Globalization;
using Pleura.Classification;
using Pleura.Data;
using Pleura.Datasets;
using Pleura.Evaluation;

if (args.Length < 1) { Console.Error.WriteLine("usage: dotnet run bench/classify/paired.cs RUN [DATA]"); return 2; }
var run = Path.GetFullPath(args[0]);
var data = Path.GetFullPath(args.Length > 1 ? args[1] : "../shared/data");
var classes = ClassificationSources.PneumoniaClasses;
var table = ConfoundBaseline.Features(ClassificationSources.Pneumonia(data).Items);
var baseline = ConfoundBaseline.Run(table, classes).First(r => r.FeatureSet.Name == "all");
var split = ClassificationSplitter.Split(table.Items.Select(i => new ClassifiedImage(i.Path, i.Patient, i.Class)).ToList(), 0.25, 5, 42);

var lines = File.ReadAllLines(Path.Combine(run, "report", "test_predictions.csv"));
var columns = lines[0].Split(',').Skip(2).Select(h => h["p_".Length..]).ToList();
var cnn = lines.Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0],
    f => (IReadOnlyList<double>)classes.Select(c => double.Parse(f[2 + columns.IndexOf(c)], CultureInfo.InvariantCulture)).ToArray());
var ids = split.Test.Select(a => a.ImageId).ToList();
var missing = ids.Where(id => !cnn.ContainsKey(id)).ToList();
if (missing.Count > 0) { Console.Error.WriteLine($"{missing.Count} test images of the baseline's split are not in {run}'s predictions (e.g. {missing[0]}): was it trained with --seed 42?"); return 1; }
var paired = PairedClassifierComparison.Compare(classes, baseline.Test, new ScoredImages(baseline.Test.Truth, ids.Select(id => cnn[id]).ToList(), classes.Count));

Console.WriteLine($"{ids.Count} test images; AUC one-vs-rest, CNN - baseline [95% CI], DeLong p");
for (int c = 0; c < classes.Count; c++)
{
    var d = paired.AucPerClass[c];
    Console.WriteLine(FormattableString.Invariant($"{classes[c],-10} baseline {d.AucA:0.000}  CNN {d.AucB:0.000}  difference {d.Difference:+0.000;-0.000} [{d.Interval.Low:+0.000;-0.000}, {d.Interval.High:+0.000;-0.000}]  p {d.P:0.0000}"));
}
Console.WriteLine(FormattableString.Invariant($"accuracy: baseline {paired.AccuracyA.Value:0.000}, CNN {paired.AccuracyB.Value:0.000}; McNemar exact p {paired.Accuracy.P:0.0000} ({paired.Accuracy.OnlyA} only the baseline right, {paired.Accuracy.OnlyB} only the CNN)"));
return 0;
