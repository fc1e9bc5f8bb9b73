using Pleura.Data;
using Pleura.Datasets;
using Pleura.Store;

namespace Pleura.Study;

/// <summary>
/// The report's data-flow figures: images in the manifest, manifest problems, unreadable images, graded images per
/// side, split sizes and grade distributions per part, ROI fall-backs. Stored as results of level "data".
/// </summary>
public static class DataFlow
{
    public static void Record(StudyContext context)
    {
        var spec = context.Spec;
        var rows = new List<ResultRecord>();
        void Add(string grouping, string group, string side, string metric, double value, string note = "") =>
            rows.Add(new ResultRecord(spec.Name, "data", grouping, group, side, "", metric, value, null, null, (int)value, note));

        Add("flow", "manifest images", "", "count", context.Manifest.Rows.Count);
        Add("flow", "manifest problems", "", "count", context.Validation.Issues.Count, "warnings of the manifest validator (errors stop the study)");
        Add("flow", "unreadable images", "", "count", context.Images.Unreadable.Count, "left out");
        var readable = context.Manifest.Rows.Where(r => context.Images.Contains(r.ImageId)).ToList();
        Add("flow", "readable images", "", "count", readable.Count);
        foreach (var side in spec.Grid.Lungs().Select(Pleura.Imaging.Roi.PatientSides.Name))
        {
            var column = context.Columns(side).Reader1;
            Add("flow", "graded by reader 1", side, "count", readable.Count(r => Manifest.Grade(r, column) is >= 0 and <= 3));
            foreach (var (part, fold) in new[] { (SplitPart.Train, 1), (SplitPart.Validation, 1), (SplitPart.Test, 1), (SplitPart.OutOfBox, 1) })
            {
                var ids = context.Plan.Images(part, fold).ToHashSet();
                var grades = readable.Where(r => ids.Contains(r.ImageId)).Select(r => Manifest.Grade(r, column)).Where(g => g is >= 0 and <= 3).ToList();
                string partName = part == SplitPart.OutOfBox ? "OOB" : part.ToString().ToLowerInvariant();
                for (int g = 0; g <= 3; g++) Add("grades fold 1", partName, side, $"grade{g}", grades.Count(x => x == g));
            }
        }
        context.Store.ReplaceResults(spec.Name, "data", rows);
    }

    /// <summary>Images whose ROI failed a sanity check, with the reason and the rule applied.</summary>
    public static void RecordRoiFailures(StudyContext context)
    {
        // Make every ROI the grid needs (once per image, in parallel), so the list is complete even for a resumed run.
        var schemes = context.Spec.Grid.Roi.Select(Pleura.Imaging.Roi.RoiSchemes.Parse).Where(s => s != Pleura.Imaging.Roi.RoiScheme.None).Distinct().ToList();
        var sides = context.Spec.Grid.Lungs();
        var ids = context.Manifest.Rows.Select(r => r.ImageId).Where(context.Images.Contains).ToList();
        if (schemes.Count > 0)
            Parallel.ForEach(ids, id => context.Images.Prepare(id, schemes, sides));
        var failures = context.Images.RoiFailures;
        context.Store.ReplaceResults(context.Spec.Name, "roi", failures.Select(f =>
            new ResultRecord(context.Spec.Name, "roi", f.Roi, f.ImageId, f.Side, "", "fallback", 1, null, null, 1, f.Reason + "; " + RoiFailure.Rule)));
    }
}
