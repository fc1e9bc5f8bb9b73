using Pleura.Dicom.Writing;

namespace Pleura.Dicom.Results;

/// <summary>One lung's result: its grade, the probability of each grade, the expected grade and, when known, % opacity.</summary>
public sealed record LungMeasurement(LungSide Side, int Grade, IReadOnlyList<double> Probabilities, double ExpectedGrade, double? OpacityPercent = null);

/// <summary>The patient's lung a measurement is about.</summary>
public enum LungSide { Left, Right }

/// <summary>The model that graded the image, as the report's device observer (TID 1004) and algorithm (TID 4019).</summary>
public sealed record ObserverDevice(string Uid, string Name, string Manufacturer, string ModelName, string Version);

/// <summary>
/// A DICOM Structured Report (Comprehensive SR) following TID 1500 "Measurement Report": the model as the device
/// observer, the chest radiograph as the procedure reported, the graded image in the image library, and one
/// measurement group (TID 1501) per lung with the opacity grade (coded), the probability of each grade, the expected
/// grade and % opacity. The report goes into the image's study (Patient and Study modules copied, new series) and
/// names the image in Current Requested Procedure Evidence Sequence. Codes: see <see cref="Codes"/>.
/// </summary>
public static class MeasurementReport
{
    public const string ComprehensiveSrSopClassUid = "1.2.840.10008.5.1.4.1.1.88.33";

    public static DicomDataset Build(DicomDataset image, IReadOnlyList<LungMeasurement> lungs, ObserverDevice device, SeriesPlacement placement,
        string manufacturer = "Pleura")
    {
        if (lungs.Count == 0) throw new ArgumentException("a measurement report needs at least one lung's measurement", nameof(lungs));
        var reference = DerivedObject.Reference(image).Build();
        var evidence = new DicomDatasetBuilder()
            .Uid(DicomTag.StudyInstanceUID, image.StudyInstanceUID!)
            .Sequence(ResultTags.ReferencedSeriesSequence, new DicomDatasetBuilder()
                .Uid(DicomTag.SeriesInstanceUID, image.SeriesInstanceUID ?? throw new ArgumentException($"{image.Source}: the image has no Series Instance UID", nameof(image)))
                .Sequence(ResultTags.ReferencedSOPSequence, reference)
                .Build())
            .Build();
        var privateScheme = new DicomDatasetBuilder()
            .Text(ResultTags.CodingSchemeDesignator, "SH", Codes.PrivateScheme)
            .Text(ResultTags.CodingSchemeName, "ST", "Pleura lung opacity grading concepts")
            .Text(ResultTags.CodingSchemeResponsibleOrganization, "ST", "Pleura")
            .Build();

        var content = new List<DicomDataset>
        {
            Item.Code("HAS CONCEPT MOD", Codes.LanguageOfContent, Codes.EnglishUS),
            // TID 1002 / 1004: the observer is a device (the model).
            Item.Code("HAS OBS CONTEXT", Codes.ObserverType, Codes.Device),
            Item.UidRef("HAS OBS CONTEXT", Codes.DeviceObserverUid, device.Uid),
            Item.Text("HAS OBS CONTEXT", Codes.DeviceObserverName, device.Name),
            Item.Text("HAS OBS CONTEXT", Codes.DeviceObserverManufacturer, device.Manufacturer),
            Item.Text("HAS OBS CONTEXT", Codes.DeviceObserverModelName, device.ModelName),
            Item.Code("HAS CONCEPT MOD", Codes.ProcedureReported, Codes.ChestXRay),
            Item.Container("CONTAINS", Codes.ImageLibrary,
                Item.Container("CONTAINS", Codes.ImageLibraryGroup, Item.Image("CONTAINS", reference))),
            Item.Container("CONTAINS", Codes.ImagingMeasurements, lungs.Select(l => Group(l, device, reference)).ToArray()),
        };

        return DerivedObject.Start(image, ComprehensiveSrSopClassUid, "SR", placement, manufacturer)
            .Sequence(ResultTags.CodingSchemeIdentificationSequence, privateScheme)
            .Sequence(ResultTags.ReferencedPerformedProcedureStepSequence)
            .Sequence(ResultTags.PerformedProcedureCodeSequence)
            .Sequence(ResultTags.CurrentRequestedProcedureEvidenceSequence, evidence)
            .Text(ResultTags.CompletionFlag, "CS", "COMPLETE")
            .Text(ResultTags.VerificationFlag, "CS", "UNVERIFIED")
            // The root content item: a container of TID 1500.
            .Text(ResultTags.ValueType, "CS", "CONTAINER")
            .Sequence(ResultTags.ConceptNameCodeSequence, Codes.ImagingMeasurementReport.ToItem())
            .Text(ResultTags.ContinuityOfContent, "CS", "SEPARATE")
            .Sequence(ResultTags.ContentTemplateSequence, new DicomDatasetBuilder()
                .Text(ResultTags.MappingResource, "CS", "DCMR")
                .Text(ResultTags.TemplateIdentifier, "CS", "1500")
                .Build())
            .Sequence(ResultTags.ContentSequence, content.ToArray())
            .Build();
    }

    /// <summary>TID 1501: one lung's measurement group, tracked by the lung's name and a new UID.</summary>
    static DicomDataset Group(LungMeasurement lung, ObserverDevice device, DicomDataset reference)
    {
        var site = lung.Side == LungSide.Left ? Codes.LeftLung : Codes.RightLung;
        var items = new List<DicomDataset>
        {
            Item.Text("HAS OBS CONTEXT", Codes.TrackingIdentifier, lung.Side == LungSide.Left ? "left lung" : "right lung"),
            Item.UidRef("HAS OBS CONTEXT", Codes.TrackingUniqueIdentifier, DicomUid.New()),
            Item.Code("CONTAINS", Codes.Finding, Codes.LungOpacity),
            Item.Code("HAS CONCEPT MOD", Codes.FindingSite, site),
            Item.Text("HAS CONCEPT MOD", Codes.AlgorithmName, device.Name),
            Item.Text("HAS CONCEPT MOD", Codes.AlgorithmVersion, device.Version),
            Item.Code("CONTAINS", Codes.OpacityGrade, Codes.Grade(lung.Grade), Item.Image("INFERRED FROM", reference)),
        };
        items.AddRange(lung.Probabilities.Select((p, k) => Item.Number("CONTAINS", Codes.GradeProbability(k), p, Codes.NoUnits)));
        items.Add(Item.Number("CONTAINS", Codes.ExpectedGrade, lung.ExpectedGrade, Codes.GradeUnit));
        if (lung.OpacityPercent is { } percent) items.Add(Item.Number("CONTAINS", Codes.OpacityPercent, percent, Codes.Percent));
        return Item.Container("CONTAINS", Codes.MeasurementGroup, items.ToArray());
    }

    /// <summary>SR content items (PS3.3 C.17.3): relationship, value type, concept name and the value.</summary>
    static class Item
    {
        static DicomDatasetBuilder Start(string relationship, string valueType, Code name) => new DicomDatasetBuilder()
            .Text(ResultTags.RelationshipType, "CS", relationship)
            .Text(ResultTags.ValueType, "CS", valueType)
            .Sequence(ResultTags.ConceptNameCodeSequence, name.ToItem());

        static DicomDataset WithChildren(DicomDatasetBuilder item, DicomDataset[] children) =>
            (children.Length > 0 ? item.Sequence(ResultTags.ContentSequence, children) : item).Build();

        public static DicomDataset Container(string relationship, Code name, params DicomDataset[] children) =>
            WithChildren(Start(relationship, "CONTAINER", name).Text(ResultTags.ContinuityOfContent, "CS", "SEPARATE"), children);

        public static DicomDataset Code(string relationship, Code name, Code value, params DicomDataset[] children) =>
            WithChildren(Start(relationship, "CODE", name).Sequence(ResultTags.ConceptCodeSequence, value.ToItem()), children);

        public static DicomDataset Text(string relationship, Code name, string value) =>
            Start(relationship, "TEXT", name).Text(ResultTags.TextValue, "UT", value).Build();

        public static DicomDataset UidRef(string relationship, Code name, string uid) =>
            Start(relationship, "UIDREF", name).Uid(ResultTags.Uid, uid).Build();

        public static DicomDataset Number(string relationship, Code name, double value, Code unit) =>
            Start(relationship, "NUM", name).Sequence(ResultTags.MeasuredValueSequence, new DicomDatasetBuilder()
                .Sequence(ResultTags.MeasurementUnitsCodeSequence, unit.ToItem())
                .Decimal(ResultTags.NumericValue, Math.Round(value, 6))
                .Build()).Build();

        /// <summary>An IMAGE item: no concept name (allowed for images in a library or as evidence).</summary>
        public static DicomDataset Image(string relationship, DicomDataset reference) => new DicomDatasetBuilder()
            .Text(ResultTags.RelationshipType, "CS", relationship)
            .Text(ResultTags.ValueType, "CS", "IMAGE")
            .Sequence(ResultTags.ReferencedSOPSequence, reference)
            .Build();
    }
}
