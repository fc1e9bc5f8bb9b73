using Pleura.Data;

namespace Pleura.Phantoms;

/// <summary>
/// One synthetic radiograph with its ground truth: masks (patient's left and right lung, spine band, opacity) and
/// the true opaque fraction of each lung, from which the grades follow.
/// </summary>
public sealed record Phantom(
    int Size,
    float[] Image,
    bool[] LeftLung,
    bool[] RightLung,
    bool[] Spine,
    bool[] Opacity,
    double LeftOpacityFraction,
    double RightOpacityFraction)
{
    public int LeftGrade => OpacityGrade.FromFraction(LeftOpacityFraction);
    public int RightGrade => OpacityGrade.FromFraction(RightOpacityFraction);
}

/// <summary>What varies from one exposure of a patient to the next.</summary>
public sealed record Exposure(
    double LeftOpacityTarget,
    double RightOpacityTarget,
    double LeftDensity,
    double RightDensity,
    double RotationDegrees,
    double ShiftX,
    double ShiftY,
    double Gain,
    double Offset,
    double Gamma,
    double NoiseSd,
    double Blur)
{
    public static Exposure Sample(Random r, double leftTarget, double rightTarget) => new(
        leftTarget, rightTarget,
        LeftDensity: r.Uniform(0.13, 0.30),
        RightDensity: r.Uniform(0.13, 0.30),
        RotationDegrees: r.Uniform(-5, 5),
        ShiftX: r.Uniform(-0.03, 0.03),
        ShiftY: r.Uniform(-0.03, 0.03),
        Gain: r.Uniform(0.65, 1.35),
        Offset: r.Uniform(-0.12, 0.12),
        Gamma: r.Uniform(0.75, 1.3),
        NoiseSd: r.Uniform(0.008, 0.03),
        Blur: r.Uniform(0.4, 1.2));
}
