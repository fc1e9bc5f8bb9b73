using Pleura.Imaging.Roi;

namespace Pleura.Datasets;

/// <summary>
/// A lung (<see cref="PatientSide"/>, spelt as <see cref="PatientSides.Name"/>) and the manifest columns that hold its
/// grades for reader 1 and reader 2.
/// </summary>
public sealed record Side(PatientSide Patient, string Reader1Column, string Reader2Column)
{
    public string Name => Patient.Name();

    public static Side Parse(string name) => Of(PatientSides.Parse(name));

    /// <summary>The side with the manifest's default grade columns.</summary>
    public static Side Of(PatientSide side) => side == PatientSide.Left ? Left : Right;

    public static readonly Side Left = new(PatientSide.Left, "left_grade", "left_grade_r2");
    public static readonly Side Right = new(PatientSide.Right, "right_grade", "right_grade_r2");
    public static readonly IReadOnlyList<Side> Both = new[] { Left, Right };
}
