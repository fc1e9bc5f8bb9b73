namespace Pleura.Tests.Cli;

/// <summary>Signed differences in the tables (classify compare, study compare, bench): a tiny negative that rounds to zero
/// printed "-+0.000" with a two-section .NET format.</summary>
public class SignedFigureTests
{
    [Theory]
    [InlineData(-0.0004, "+0.000")]
    [InlineData(0.0, "+0.000")]
    [InlineData(0.0126, "+0.013")]
    [InlineData(-0.045, "-0.045")]
    public void SignedFiguresNeverPrintTwoSigns(double value, string expected) =>
        Assert.Equal(expected, Pleura.Cli.Cli.Signed(value));

    [Fact]
    public void IntervalsAndPercentagesUseTheSameRule()
    {
        Assert.Equal("-0.045 [-0.089, +0.000]", Pleura.Cli.Cli.SignedInterval(-0.045, -0.0893, -0.0004));
        Assert.Equal("+0.000", Pleura.Cli.Cli.Signed(-0.0)); // negative zero, as a difference of equal figures can give
        Assert.Equal("+0.0%", Pleura.Cli.Cli.Signed(-0.00001, "0.0%"));
        Assert.Equal("-1.5%", Pleura.Cli.Cli.Signed(-0.015, "0.0%"));
    }
}
