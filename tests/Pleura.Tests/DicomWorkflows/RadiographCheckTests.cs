using Pleura.Dicom;
using Pleura.Dicom.Writing;
using Pleura.DicomWorkflows;

namespace Pleura.Tests.DicomWorkflows;

/// <summary>
/// Which instances of a study grade-study takes, from the header alone, and the reason given for the others: the same
/// frontal-chest-radiograph rule ingest applies (<see cref="FrontalChestRadiograph"/>), so a model is asked to grade what
/// it was trained on.
/// </summary>
public class RadiographCheckTests
{
    static DicomDataset Header(string? modality = "CR", string? part = "CHEST", string? view = "PA", bool image = true, int frames = 1)
    {
        var b = new DicomDatasetBuilder().Uid(DicomTag.SOPClassUID, "1.2.840.10008.5.1.4.1.1.1");
        if (modality is not null) b.Text(DicomTag.Modality, "CS", modality);
        if (part is not null) b.Text(DicomTag.BodyPartExamined, "CS", part);
        if (view is not null) b.Text(DicomTag.ViewPosition, "CS", view);
        if (image) b.UShort(DicomTag.Rows, 64).UShort(DicomTag.Columns, 64);
        if (frames > 1) b.Integer(DicomTag.NumberOfFrames, frames);
        return b.Build();
    }

    [Theory]
    [InlineData("CR", "CHEST", "PA")]
    [InlineData("DX", "CHEST", "AP")]
    [InlineData("dx", "Chest", null)]
    [InlineData("CR", null, null)]
    [InlineData("CR", "THORAX", "")]
    [InlineData("DX", "LUNG", "AP")]
    [InlineData("CR", "PORT CHEST", null)]
    public void Takes_frontal_chest_radiographs_and_headers_that_do_not_say(string? modality, string? part, string? view) =>
        Assert.Null(RadiographCheck.WhyNot(Header(modality, part, view)));

    [Theory]
    [InlineData("SR", "CHEST", "PA", false, 1, "not an image")]
    [InlineData("CT", "CHEST", null, true, 1, "not a radiograph (modality CT")]
    [InlineData("OT", "CHEST", null, true, 1, "not a radiograph (modality OT")]
    [InlineData("CR", "HIP", null, true, 1, "not a chest radiograph (body part HIP)")]
    [InlineData("DX", "CHEST", "LL", true, 1, "lateral view (LL)")]
    [InlineData("DX", "CHEST", "rl", true, 1, "lateral view (RL)")]
    [InlineData("DX", "CHEST", "PA", true, 3, "3 frames")]
    [InlineData(null, "CHEST", "PA", true, 1, "modality not given")]
    public void Refuses_the_others_with_the_reason(string? modality, string? part, string? view, bool image, int frames, string reason) =>
        Assert.StartsWith(reason, RadiographCheck.WhyNot(Header(modality, part, view, image, frames)), StringComparison.Ordinal);

    [Theory]
    [InlineData("CR", "LUNG", "PA", "MONOCHROME2", null)]
    [InlineData(null, "CHEST", "PA", "MONOCHROME2", FrontalChestRadiograph.NotRadiograph)]
    [InlineData("CR", "PORT CHEST", "AP", "MONOCHROME1", null)]
    [InlineData("CR", "CHEST", "LATERAL", "MONOCHROME2", FrontalChestRadiograph.Lateral)]
    [InlineData("CR", "CHEST", "PA", "RGB", FrontalChestRadiograph.NotGrey)]
    public void Ingest_and_grading_apply_one_rule(string? modality, string? part, string? view, string photometric, string? rule)
    {
        var b = new DicomDatasetBuilder().Uid(DicomTag.SOPClassUID, "1.2.840.10008.5.1.4.1.1.1");
        if (modality is not null) b.Text(DicomTag.Modality, "CS", modality);
        b.Text(DicomTag.BodyPartExamined, "CS", part).Text(DicomTag.ViewPosition, "CS", view)
            .Text(DicomTag.PhotometricInterpretation, "CS", photometric).UShort(DicomTag.Rows, 64).UShort(DicomTag.Columns, 64);
        var header = b.Build();
        Assert.Equal(rule, FrontalChestRadiograph.Check(header)?.Rule);
        Assert.Equal(rule is null, RadiographCheck.WhyNot(header) is null);
        // Ingest counts the same rule under the same key (its flow keys are the rule's).
        Assert.Contains(DicomIngest.Rules, r => r.Key == (rule ?? DicomIngest.Ingested));
    }
}
