namespace Pleura.Training;

/// <summary>Class balancing of the training set (METHOD section 5); validation and test sets are never balanced.</summary>
public enum Balancing
{
    /// <summary>Train on the set as it is.</summary>
    None,
    /// <summary>Every class randomly reduced to the size of the smallest.</summary>
    Under,
    /// <summary>Augmented copies added until every class is as large as the largest.</summary>
    Over,
    /// <summary>Stage 1 on the under-sampled set, stage 2 on the full unbalanced set.</summary>
    Double,
}

/// <summary>One training example: an index into the source set, and whether it is an augmented copy (with its own seed).</summary>
public readonly record struct Example(int Source, int? AugmentSeed);

public static class Balancer
{
    /// <summary>The examples for one stage, deterministic from the seed.</summary>
    public static IReadOnlyList<Example> Examples(IReadOnlyList<int> labels, Balancing balancing, int stage, int seed)
    {
        var mode = balancing == Balancing.Double ? (stage == 1 ? Balancing.Under : Balancing.None) : balancing;
        var byClass = labels.Select((label, index) => (label, index)).GroupBy(x => x.label).OrderBy(g => g.Key)
            .Select(g => g.Select(x => x.index).ToList()).ToList();
        var random = new Random(seed);
        switch (mode)
        {
            case Balancing.Under:
            {
                int smallest = byClass.Min(c => c.Count);
                return byClass.SelectMany(c => Shuffle(c.ToList(), random).Take(smallest)).OrderBy(i => i).Select(i => new Example(i, null)).ToList();
            }
            case Balancing.Over:
            {
                int largest = byClass.Max(c => c.Count);
                var examples = Enumerable.Range(0, labels.Count).Select(i => new Example(i, null)).ToList();
                foreach (var c in byClass)
                    for (int k = c.Count; k < largest; k++)
                        examples.Add(new Example(c[random.Next(c.Count)], random.Next()));
                return examples;
            }
            default:
                return Enumerable.Range(0, labels.Count).Select(i => new Example(i, null)).ToList();
        }
    }

    internal static List<T> Shuffle<T>(List<T> items, Random random)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
        return items;
    }
}
