namespace Pleura.Phantoms;

/// <summary>Smooth random field on [0,1]²: random values on a coarse grid, smoothstep-interpolated.</summary>
internal sealed class ValueNoise
{
    readonly double[,] _grid;
    readonly int _cells;

    public ValueNoise(Random random, int cells)
    {
        _cells = cells;
        _grid = new double[cells + 1, cells + 1];
        for (int i = 0; i <= cells; i++)
            for (int j = 0; j <= cells; j++)
                _grid[i, j] = random.NextDouble();
    }

    public double At(double x, double y)
    {
        double gx = Math.Clamp(x, 0, 1) * _cells, gy = Math.Clamp(y, 0, 1) * _cells;
        int ix = Math.Min((int)gx, _cells - 1), iy = Math.Min((int)gy, _cells - 1);
        double fx = Smooth(gx - ix), fy = Smooth(gy - iy);
        double top = _grid[iy, ix] + (_grid[iy, ix + 1] - _grid[iy, ix]) * fx;
        double bottom = _grid[iy + 1, ix] + (_grid[iy + 1, ix + 1] - _grid[iy + 1, ix]) * fx;
        return top + (bottom - top) * fy;
    }

    static double Smooth(double t) => t * t * (3 - 2 * t);
}
