namespace Pleura.Phantoms;

/// <summary>
/// One patient's body shape in normalised image coordinates (x right, y down, both 0..1, as displayed: the
/// patient's right lung on the image's left). Shared by all images of a patient.
/// </summary>
public sealed record Anatomy(
    double BodyHalfWidth,
    double LungTop,
    double LungBottom,
    double RightLungCentre,
    double RightLungHalfWidth,
    double LeftLungCentre,
    double LeftLungHalfWidth,
    double HeartCentreX,
    double HeartCentreY,
    double HeartRadiusX,
    double HeartRadiusY,
    double SpineHalfWidth,
    double DiaphragmDome,
    double RibSpacing)
{
    public static Anatomy Sample(Random r)
    {
        double right = r.Uniform(0.10, 0.145);
        return new Anatomy(
            BodyHalfWidth: r.Uniform(0.40, 0.47),
            LungTop: r.Uniform(0.12, 0.19),
            LungBottom: r.Uniform(0.72, 0.84),
            RightLungCentre: 0.5 - r.Uniform(0.165, 0.205),
            RightLungHalfWidth: right,
            LeftLungCentre: 0.5 + r.Uniform(0.165, 0.205),
            LeftLungHalfWidth: right * r.Uniform(0.88, 1.02),
            HeartCentreX: 0.5 + r.Uniform(0.05, 0.09),
            HeartCentreY: r.Uniform(0.58, 0.66),
            HeartRadiusX: r.Uniform(0.11, 0.15),
            HeartRadiusY: r.Uniform(0.085, 0.12),
            SpineHalfWidth: r.Uniform(0.025, 0.035),
            DiaphragmDome: r.Uniform(0.03, 0.07),
            RibSpacing: r.Uniform(0.055, 0.07));
    }
}
