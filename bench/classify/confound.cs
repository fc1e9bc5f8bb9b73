#:project ../../src/Pleura.Classification/Pleura.Classification.csproj
#:project ../../src/Pleura.Reporting/Pleura.Reporting.csproj
#:property PublishAot=false
// Issue 15's confound baseline on the pneumonia set, without the command line:
//   dotnet run bench/classify/confound.cs [DATA] [OUT]     (defaults ../shared/data and runs/confound; about 45 s on 2 cores)
// A multinomial logistic model on image statistics only (size, intensity distribution, border strip; never the lungs),
// on the method's patient-level 75/25 split with 5-fold CV choosing the penalty; per feature set an HTML report with ROC
// curves, P(class) histograms, confusion matrix and CSV/JSON results in OUT/<set>/, and OUT/summary.csv.
using System.Globalization;
using Pleura.Classification;
using Pleura.Datasets;
using Pleura.Reporting;

var data = Path.GetFullPath(args.Length > 0 ? args[0] : "../shared/data");
var output = Path.GetFullPath(args.Length > 1 ? args[1] : "runs/confound");
var set = ClassificationSources.Pneumonia(data);
var table = ConfoundBaseline.Features(set.Items);
foreach (var failure in table.Failures) Console.Error.WriteLine($"{failure.Path}: {failure.Reason}; left out");
var summary = new List<string> { "features,class,auc,auc_low,auc_high,sensitivity,specificity,accuracy,accuracy_low,accuracy_high,test_images,lambda_per_row" };
foreach (var r in ConfoundBaseline.Run(table, ClassificationSources.PneumoniaClasses))
{
    var e = r.Evaluation;
    ClassifierReport.Write(Path.Combine(output, r.FeatureSet.Name), $"Confound baseline, pneumonia set: {r.FeatureSet.Description}", e, r.Test, new[]
    {
        "A multinomial logistic model on image statistics only: it never sees the lungs. The covid images are adult radiographs from other sources, " +
        "the normal, bacterial and viral images paediatric from one hospital (data README). Whatever it separates, a CNN can separate without pneumonia.",
    });
    string N(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
    foreach (var c in e.PerClass)
        summary.Add(string.Join(",", r.FeatureSet.Name, c.Class, N(c.Auc.Auc), N(c.Auc.Interval.Low), N(c.Auc.Interval.High), N(c.Sensitivity.Value), N(c.Specificity.Value),
            N(e.Accuracy.Value), N(e.Accuracy.Interval.Low), N(e.Accuracy.Interval.High), e.Count, r.LambdaPerRow.ToString(CultureInfo.InvariantCulture)));
    Console.WriteLine($"{r.FeatureSet.Name,-10} accuracy {e.Accuracy.Value:0.000} [{e.Accuracy.Interval.Low:0.000}, {e.Accuracy.Interval.High:0.000}]  " +
                      string.Join("  ", e.PerClass.Select(c => $"{c.Class} {c.Auc.Auc:0.000} [{c.Auc.Interval.Low:0.000}, {c.Auc.Interval.High:0.000}]")));
}
Pleura.Files.AtomicFile.WriteAllText(Path.Combine(output, "summary.csv"), string.Join("\n", summary) + "\n");
