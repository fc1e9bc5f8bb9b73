using Pleura.Datasets;
using Pleura.Training;

namespace Pleura.Tests.Training;

/// <summary>Small in-memory phantom sets for training tests: the left lung's grade as the label.</summary>
public static class PhantomSets
{
    public static LabelledImages Left(int seed, int count, int size) => PhantomTensors.Left(seed, count, size);
}
