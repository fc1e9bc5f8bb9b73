#:project ../../src/Pleura.Datasets/Pleura.Datasets.csproj
#:property PublishAot=false
// Label tables and patient-level splits for issue 15's two classification tasks, without the command line:
//   dotnet run bench/classify/tables.cs [DATA] [OUT]     (defaults ../shared/data and runs/classify)
// Writes OUT/{view,pneumonia}.csv (path,class,patient: what `pleura pretrain` and `pleura bench transfer` read),
// OUT/{view,pneumonia}.left-out.txt (rows left out, each with its line and reason) and OUT/{view,pneumonia}.split.json
// (the method's 75/25 split with 5-fold cross-validation on the 75%, seed 42).
using Pleura.Datasets;

var data = Path.GetFullPath(args.Length > 0 ? args[0] : "../shared/data");
var output = Path.GetFullPath(args.Length > 1 ? args[1] : "runs/classify");
foreach (var (name, set) in new[] { ("view", ClassificationSources.View(data)), ("pneumonia", ClassificationSources.Pneumonia(data)) })
{
    ClassificationSources.WriteLabelTable(Path.Combine(output, name + ".csv"), set.Items);
    foreach (var line in set.ReportLeftOut(Path.Combine(output, name + ".left-out.txt"))) Console.Error.WriteLine(line);
    var split = Pleura.Data.ClassificationSplitter.Split(set.ForSplit());
    split.Save(Path.Combine(output, name + ".split.json"));
    Console.WriteLine($"{name}: {set.Items.Count} images, {set.Items.Select(i => i.Patient).Distinct().Count()} patients; " +
                      string.Join(", ", set.Items.GroupBy(i => i.Class).Select(g => $"{g.Key} {g.Count()}")) +
                      $"; test {split.Test.Count} images, folds of {string.Join("/", Enumerable.Range(1, split.Folds).Select(f => split.Fold(f).Validation.Count))}");
}
