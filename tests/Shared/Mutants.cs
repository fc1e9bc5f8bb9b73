using System.Text;
using CsCheck;

namespace Pleura.Testing;

/// <summary>
/// Property-based tests of file readers (Pleura.Tests' Robustness/, Pleura.Dicom.Tests' ReaderProperties): a valid
/// file damaged at random (bytes overwritten or flipped, junk inserted, ranges zeroed, the file cut short, and for text
/// files lines dropped or doubled and values replaced) must be read or refused with a named error that names the file.
/// Never another exception type, never a hang (each read has a time limit), and optionally never more managed memory
/// than a stated bound. The mutants are drawn from a fixed seed, so every run tries the same ones (CI does not flake);
/// PLEURA_PROPERTY_ITERATIONS and PLEURA_PROPERTY_SEED ask for a longer or another soak.
/// </summary>
public static class Mutants
{
    /// <summary>What one edit does to the file.</summary>
    public enum Damage
    {
        Overwritten, Inserted, Zeroed, CutShort, BitFlipped,
        // Text files only: whole lines and values, so that damage reaches past the parser into what the reader does with the values.
        LineDropped, LineDoubled, ValueReplaced,
    }

    /// <summary>One edit: what, where (0..1 of the damaged range), with which byte and how long a run.</summary>
    public sealed record Mutation(Damage Kind, double Where, byte Value, int Length)
    {
        public override string ToString() => FormattableString.Invariant($"{Kind}@{Where:0.0000}(0x{Value:X2}, {Length})");
    }

    /// <summary>Mutants per property in CI; PLEURA_PROPERTY_ITERATIONS asks for more.</summary>
    public static int Iterations { get; } = int.TryParse(Environment.GetEnvironmentVariable("PLEURA_PROPERTY_ITERATIONS"), out var n) ? n : 150;

    /// <summary>The seed every property draws from; PLEURA_PROPERTY_SEED asks for other mutants.</summary>
    public static ulong Seed { get; } = ulong.TryParse(Environment.GetEnvironmentVariable("PLEURA_PROPERTY_SEED"), out var s) ? s : 27;

    /// <summary>Values a damaged text file may hold where a value stood: empty, null, wrong kinds, out of range, YAML oddities.</summary>
    static readonly string[] Values =
    {
        "", "~", "null", "-1", "0", "-3", "99999999999999999999", "1e400", "NaN", ".inf", "[]", "{}", "[~]", "[null, null]",
        "{a: 1}", "\"\"", "''", "true", "x: y", "*nowhere", "&a", "!!binary AAAA", "[[[[[[[[", "\"\\u0000\"", "0x10", "- a",
    };

    // The place is uniform over the range (Gen.Double[0, 1] favours 0 and 1, which left two mutants in five damaging only the first or last byte).
    static Gen<Mutation[]> Of(Damage[] kinds) =>
        Gen.Select(Gen.Int[0, kinds.Length - 1], Gen.Int[0, 1 << 30], Gen.Byte, Gen.Int[1, 64], (k, w, v, n) => new Mutation(kinds[k], w / (double)(1 << 30), v, n)).Array[1, 6];

    static readonly Damage[] BinaryKinds = { Damage.Overwritten, Damage.Inserted, Damage.Zeroed, Damage.CutShort, Damage.BitFlipped };

    /// <summary>Edits for binary files.</summary>
    public static readonly Gen<Mutation[]> Binary = Of(BinaryKinds);

    /// <summary>Edits for text files: the binary ones and whole lines and values.</summary>
    public static readonly Gen<Mutation[]> Text = Of(Enum.GetValues<Damage>());

    /// <summary>
    /// <paramref name="valid"/> with <paramref name="mutations"/> applied; each lands in bytes
    /// [<paramref name="from"/>, <paramref name="to"/>) of the file as it then is (the whole file by default; a cut
    /// short and a bit flip anywhere in that range).
    /// </summary>
    public static byte[] Apply(byte[] valid, Mutation[] mutations, int from = 0, int? to = null)
    {
        var bytes = valid.ToList();
        foreach (var m in mutations)
        {
            if (bytes.Count == 0) break;
            int lo = Math.Min(from, bytes.Count - 1), hi = Math.Clamp(to ?? bytes.Count, lo + 1, bytes.Count);
            int at = Math.Min(hi - 1, lo + (int)(m.Where * (hi - lo)));
            switch (m.Kind)
            {
                case Damage.Overwritten: bytes[at] = m.Value; break;
                case Damage.Inserted: bytes.InsertRange(at, Enumerable.Range(0, m.Length).Select(i => (byte)(m.Value * (i + 1)))); break;
                case Damage.Zeroed: for (int i = at; i < Math.Min(bytes.Count, at + m.Length); i++) bytes[i] = 0; break;
                case Damage.CutShort: bytes.RemoveRange(at, bytes.Count - at); break;
                case Damage.BitFlipped: bytes[at] ^= (byte)(1 << (m.Value % 8)); break;
                default:
                    var (start, end) = LineAround(bytes, at);
                    var line = bytes.GetRange(start, end - start);
                    if (m.Kind == Damage.LineDropped) bytes.RemoveRange(start, end - start);
                    else if (m.Kind == Damage.LineDoubled) bytes.InsertRange(start, line);
                    else ReplaceValue(bytes, start, line, Values[m.Value % Values.Length]);
                    break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>The line holding byte <paramref name="at"/>, with its newline.</summary>
    static (int Start, int End) LineAround(List<byte> bytes, int at)
    {
        int start = at, end = at;
        while (start > 0 && bytes[start - 1] != '\n') start--;
        while (end < bytes.Count && bytes[end++] != '\n') { }
        return (start, end);
    }

    /// <summary>The value after a line's "key:" or "- " (or the whole line) replaced by <paramref name="value"/>.</summary>
    static void ReplaceValue(List<byte> bytes, int start, List<byte> line, string value)
    {
        var text = Encoding.UTF8.GetString(line.ToArray());
        var newline = text.EndsWith('\n') ? "\n" : "";
        var body = text.TrimEnd('\n');
        int colon = body.IndexOf(": ", StringComparison.Ordinal), dash = body.IndexOf("- ", StringComparison.Ordinal);
        int cut = colon >= 0 ? colon + 2 : dash >= 0 ? dash + 2 : 0;
        // A JSON value keeps its trailing comma, so the damage is the value and not the syntax around it.
        var comma = body.TrimEnd().EndsWith(',') && colon >= 0 ? "," : "";
        var replaced = Encoding.UTF8.GetBytes(body[..cut] + value + comma + newline);
        bytes.RemoveRange(start, line.Count);
        bytes.InsertRange(start, replaced);
    }

    /// <summary>
    /// Damages <paramref name="valid"/> <see cref="Iterations"/> times (mutants drawn from <see cref="Seed"/> and
    /// <paramref name="stream"/>), writes each into <paramref name="folder"/> with <paramref name="extension"/> and
    /// reads it with <paramref name="read"/>: only the <paramref name="named"/> exception types may escape, each with
    /// the file's path in its message, within <paramref name="timeLimit"/> and, when given, within
    /// <paramref name="allocationBound"/> (managed bytes allocated for a file of a given length). Fails with every
    /// mutant that broke the rule (up to ten), each with its edits, so that it can be reproduced.
    /// </summary>
    public static void EachIsReadOrRefusedByName(byte[] valid, Gen<Mutation[]> edits, int stream, string folder, string extension,
        Action<string> read, TimeSpan timeLimit, Type[] named, Func<long, long>? allocationBound = null, int from = 0, int? to = null)
    {
        var pcg = new PCG((uint)stream, Seed);
        var failures = new List<string>();
        for (int i = 0; i < Iterations && failures.Count < 10; i++)
        {
            var mutations = edits.Generate(pcg, null, out _);
            var bytes = Apply(valid, mutations, from, to);
            var path = Path.Combine(folder, $"mutant-{stream}-{i}{extension}");
            File.WriteAllBytes(path, bytes);
            try
            {
                if (Problem(path, bytes.Length, read, timeLimit, named, allocationBound) is { } problem)
                    failures.Add($"mutant {i} [{string.Join(", ", mutations.Select(m => m.ToString()))}], {bytes.Length} bytes: {problem}");
            }
            finally { File.Delete(path); }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} mutant(s) of seed {Seed}, stream {stream} broke the rule:\n" + string.Join("\n\n", failures));
    }

    /// <summary>Exception types that are a reader's crash, not its check.</summary>
    static readonly Type[] Crashes =
    {
        typeof(NullReferenceException), typeof(IndexOutOfRangeException), typeof(ArgumentOutOfRangeException), typeof(OverflowException),
        typeof(InvalidCastException), typeof(KeyNotFoundException), typeof(OutOfMemoryException), typeof(DivideByZeroException),
    };

    /// <summary>Why reading one mutant broke the rule, or null when it was read or refused by name in time.</summary>
    static string? Problem(string path, long length, Action<string> read, TimeSpan timeLimit, Type[] named, Func<long, long>? allocationBound)
    {
        long allocated = 0;
        var task = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { read(path); }
            finally { allocated = GC.GetAllocatedBytesForCurrentThread() - before; }
        });
        try
        {
            if (!task.Wait(timeLimit)) return $"reading took over {timeLimit.TotalSeconds} s";
        }
        catch (AggregateException e) when (e.InnerException is { } inner && named.Any(t => t.IsInstanceOfType(inner)))
        {
            if (!inner.Message.Contains(path, StringComparison.Ordinal)) return $"the error does not name the file: {inner.Message}";
            // A safety net that renames a crash is not a reason found by a check.
            for (var cause = inner.InnerException; cause is not null; cause = cause.InnerException)
                if (Crashes.Any(t => t.IsInstanceOfType(cause))) return $"a crash renamed by a safety net: {inner}";
        }
        catch (AggregateException e)
        {
            return $"an unnamed error escaped: {e.InnerException}";
        }
        if (allocationBound is not null && allocated > allocationBound(length)) return $"{allocated} bytes allocated for a {length}-byte file";
        return null;
    }
}
