namespace Pleura.Pipeline;

/// <summary>The two lungs and the manifest columns that hold their grades for reader 1 and reader 2.</summary>
public sealed record Side(string Name, string Reader1Column, string Reader2Column)
{
    public static Side Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "left" => Left,
        "right" => Right,
        _ => throw new ArgumentException($"side '{name}' must be left or right"),
    };

    /// <summary>The lung as ROI geometry names it (the patient's left lies on the image's right).</summary>
    public Pleura.Imaging.Roi.PatientSide Patient => Name == "left" ? Pleura.Imaging.Roi.PatientSide.Left : Pleura.Imaging.Roi.PatientSide.Right;

    public static readonly Side Left = new("left", "left_grade", "left_grade_r2");
    public static readonly Side Right = new("right", "right_grade", "right_grade_r2");
    public static readonly IReadOnlyList<Side> Both = new[] { Left, Right };
}
