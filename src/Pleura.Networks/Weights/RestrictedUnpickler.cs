using System.Numerics;
using System.Text;

namespace Pleura.Networks.Weights;

/// <summary>A global the unpickler met and did not build: kept as data, never called.</summary>
public sealed record UnsupportedGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>The result of calling a global the unpickler does not know; remembers what it was.</summary>
public sealed record UnsupportedObject(UnsupportedGlobal Global);

/// <summary>A pickled call of an allowed global, handed to the caller to build (e.g. a tensor rebuild).</summary>
public sealed record PickledCall(string Module, string Name, object?[] Arguments);

/// <summary>
/// A pickle reader for PyTorch checkpoints that never executes anything. It understands the opcodes of protocols 2-4
/// that torch.save writes; a GLOBAL is looked up in a caller-given allow list and otherwise becomes an
/// <see cref="UnsupportedGlobal"/> value, so a hostile file can at worst fail to load.
/// </summary>
public sealed class RestrictedUnpickler : IDisposable
{
    readonly BinaryReader _in;
    readonly Func<string, string, object?[], object?> _call;
    readonly Func<object?, object?> _persistentLoad;
    readonly Dictionary<int, object?> _memo = new();
    readonly List<object?> _stack = new();
    readonly Stack<int> _marks = new();

    /// <summary>Releases the reader; the stream stays open for the caller, who owns it.</summary>
    public void Dispose() => _in.Dispose();

    /// <param name="call">Builds an allowed global's call (module, name, args); return an <see cref="UnsupportedObject"/> to refuse.</param>
    /// <param name="persistentLoad">Resolves a persistent id (PyTorch: a storage reference).</param>
    public RestrictedUnpickler(Stream stream, Func<string, string, object?[], object?> call, Func<object?, object?> persistentLoad)
    {
        _in = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        _call = call;
        _persistentLoad = persistentLoad;
    }

    public object? Load()
    {
        _stack.Clear();
        _marks.Clear();
        while (true)
        {
            byte op = _in.ReadByte();
            switch (op)
            {
                case 0x80: _in.ReadByte(); break; // PROTO
                case 0x95: _in.ReadInt64(); break; // FRAME
                case (byte)'.': return Pop(); // STOP
                case (byte)'(': _marks.Push(_stack.Count); break; // MARK
                case (byte)'}': Push(new Dictionary<object, object?>()); break;
                case (byte)']': Push(new List<object?>()); break;
                case (byte)')': Push(Array.Empty<object?>()); break;
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'K': Push((long)_in.ReadByte()); break;
                case (byte)'M': Push((long)_in.ReadUInt16()); break;
                case (byte)'J': Push((long)_in.ReadInt32()); break;
                case 0x8a: Push(ReadLong(_in.ReadByte())); break; // LONG1
                case 0x8b: Push(ReadLong(_in.ReadInt32())); break; // LONG4
                case (byte)'G': { var big = Counted(8); Push(BitConverter.ToDouble(BitConverter.IsLittleEndian ? big.Reverse().ToArray() : big)); break; }
                case (byte)'X': Push(Encoding.UTF8.GetString(Counted(_in.ReadInt32()))); break;
                case 0x8c: Push(Encoding.UTF8.GetString(Counted(_in.ReadByte()))); break;
                case 0x8d: Push(Encoding.UTF8.GetString(Counted(_in.ReadInt64()))); break;
                case (byte)'T': Push(Encoding.Latin1.GetString(Counted(_in.ReadInt32()))); break;
                case (byte)'U': Push(Encoding.Latin1.GetString(Counted(_in.ReadByte()))); break;
                case (byte)'B': Push(Counted(_in.ReadInt32())); break;
                case (byte)'C': Push(Counted(_in.ReadByte())); break;
                case (byte)'I': Push(ParseTextInt(ReadLine())); break;
                case (byte)'q': _memo[_in.ReadByte()] = Top(); break;
                case (byte)'r': _memo[_in.ReadInt32()] = Top(); break;
                case 0x94: _memo[_memo.Count] = Top(); break; // MEMOIZE
                case (byte)'h': Push(Memo(_in.ReadByte())); break;
                case (byte)'j': Push(Memo(_in.ReadInt32())); break;
                case (byte)'c': Push(new UnsupportedGlobal(ReadLine(), ReadLine())); break; // GLOBAL (resolved at call time)
                case 0x93: { var name = Pop<string>("a global's name"); var module = Pop<string>("a global's module"); Push(new UnsupportedGlobal(module, name)); break; }
                case (byte)'t': Push(PopMark().ToArray()); break;
                case 0x85: Push(new[] { Pop() }); break;
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
                case (byte)'l': Push(PopMark()); break;
                case (byte)'d': { var d = new Dictionary<object, object?>(); SetItems(d, PopMark()); Push(d); break; }
                case (byte)'a': { var v = Pop(); AsList(Top()).Add(v); break; }
                case (byte)'e': { var items = PopMark(); AsList(Top()).AddRange(items); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Top())[Key(k)] = v; break; }
                case (byte)'u': { var items = PopMark(); SetItems(AsDict(Top()), items); break; }
                case (byte)'R': { var args = Pop<object?[]>("a call's arguments"); var f = Pop(); Push(Call(f, args)); break; } // REDUCE
                case 0x81: { var args = Pop<object?[]>("a call's arguments"); var cls = Pop(); Push(Call(cls, args)); break; } // NEWOBJ
                case (byte)'b': Pop(); break; // BUILD: object state (e.g. OrderedDict._metadata) is not needed and never applied
                case (byte)'Q': Push(_persistentLoad(Pop())); break; // BINPERSID
                default:
                    throw new InvalidDataException($"unsupported pickle opcode 0x{op:x2} at byte {_in.BaseStream.Position - 1}");
            }
        }
    }

    object? Call(object? callable, object?[] args) => callable switch
    {
        UnsupportedGlobal g => _call(g.Module, g.Name, args),
        _ => throw new InvalidDataException($"pickle calls a {callable?.GetType().Name ?? "null"}, which is not a global"),
    };

    static Dictionary<object, object?> AsDict(object? o) => o as Dictionary<object, object?>
        ?? throw new InvalidDataException($"pickle sets an item on a {Kind(o)}");

    static List<object?> AsList(object? o) => o as List<object?> ?? throw new InvalidDataException($"pickle appends to a {Kind(o)}");

    static string Kind(object? o) => o?.GetType().Name ?? "null";

    static void SetItems(Dictionary<object, object?> d, List<object?> items)
    {
        if (items.Count % 2 != 0) throw new InvalidDataException($"pickle gives a dict {items.Count} items, not key-value pairs");
        for (int i = 0; i < items.Count; i += 2) d[Key(items[i])] = items[i + 1];
    }

    /// <summary>Pops a value that must be a <typeparamref name="T"/> (<paramref name="what"/>), refusing anything else.</summary>
    T Pop<T>(string what) => Pop() is T value ? value : throw new InvalidDataException($"pickle has something else where {what} should be");

    static object Key(object? k) => k ?? "None";

    object? Memo(int index) => _memo.TryGetValue(index, out var v) ? v : throw new InvalidDataException($"pickle memo {index} is empty");
    void Push(object? v) => _stack.Add(v);
    object? Top() => _stack.Count > 0 ? _stack[^1] : throw new InvalidDataException("pickle stack underflow");

    object? Pop()
    {
        var v = Top();
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    List<object?> PopMark()
    {
        if (_marks.Count == 0) throw new InvalidDataException("pickle MARK missing");
        int mark = _marks.Pop();
        if (mark > _stack.Count) throw new InvalidDataException("pickle MARK below the items popped since");
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    string ReadLine()
    {
        var bytes = new List<byte>();
        for (byte b = _in.ReadByte(); b != (byte)'\n'; b = _in.ReadByte()) bytes.Add(b);
        return Encoding.ASCII.GetString(bytes.ToArray());
    }

    /// <summary>
    /// A length-prefixed run of bytes. The length comes from the file, so it is checked against what is left before
    /// anything is allocated: a damaged length must not ask for gigabytes.
    /// </summary>
    byte[] Counted(long length)
    {
        long left = _in.BaseStream.CanSeek ? _in.BaseStream.Length - _in.BaseStream.Position : int.MaxValue;
        if (length < 0 || length > left || length > Array.MaxLength) throw new InvalidDataException($"pickle item of {length} bytes runs past the end of the data ({left} left)");
        return _in.ReadBytes((int)length);
    }

    object ReadLong(int length)
    {
        var bytes = Counted(length);
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    static object ParseTextInt(string text) => text switch
    {
        "00" => false,
        "01" => true,
        _ => long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value
            : throw new InvalidDataException($"pickle INT '{(text.Length > 40 ? text[..40] + "..." : text)}' is not a whole number"),
    };
}
