using System.Numerics;
using System.Text;
using Pleura.Networks.Weights;

namespace Pleura.Tests.Networks;

/// <summary>
/// Malformed PyTorch files, one per check of the unpickler and the checkpoint reader: each is refused with an
/// InvalidDataException that names the file and the reason, never a crash (a cast, a missing key, an index out of
/// range, a stack overflow) and never a crash renamed as "damaged" by a catch-all.
/// </summary>
[Collection("console")]
public class DamagedPthTests
{
    /// <summary>
    /// A legacy (torch.save before 1.6) checkpoint with one float tensor 'w' of <paramref name="size"/> over storage "0"
    /// of <paramref name="elements"/> elements. <paramref name="root"/>, given, writes the state dict's pickle instead;
    /// <paramref name="keys"/> the storage list's.
    /// </summary>
    internal static byte[] Legacy(string size = "( K2 t", int elements = 2, Action<Pickle>? root = null, Action<Pickle>? keys = null)
    {
        var file = new List<byte>();
        void Add(Action<Pickle> write)
        {
            var p = new Pickle();
            p.Op(0x80, 2);
            write(p);
            p.Op('.');
            file.AddRange(p.Bytes);
        }
        Add(p => { var magic = BigInteger.Parse("119547037146038801333356").ToByteArray(); p.Op(0x8a, (byte)magic.Length); p.Raw(magic); });
        Add(p => { p.Op('M'); p.Raw(BitConverter.GetBytes((ushort)1001)); });
        Add(p => p.Op('}'));
        Add(root ?? (p =>
        {
            p.Op('}', '(');
            p.Text("w");
            p.Tensor(size);
            p.Op('u');
        }));
        Add(keys ?? (p => { p.Op(']', '('); p.Text("0"); p.Op('e'); }));
        file.AddRange(BitConverter.GetBytes((long)elements));
        file.AddRange(new byte[elements * 4]);
        return file.ToArray();
    }

    /// <summary>Writes pickle opcodes (protocol 2).</summary>
    internal sealed class Pickle
    {
        public readonly List<byte> Bytes = new();
        public void Op(params object[] ops) { foreach (var o in ops) Bytes.Add(o is char c ? (byte)c : Convert.ToByte(o)); }
        public void Raw(byte[] bytes) => Bytes.AddRange(bytes);
        public void Ascii(string text) => Raw(Encoding.ASCII.GetBytes(text));
        public void Text(string s) { var b = Encoding.UTF8.GetBytes(s); Op('X'); Raw(BitConverter.GetBytes(b.Length)); Raw(b); }

        /// <summary>_rebuild_tensor_v2(storage "0" of floats, offset 0, size, stride (1,)): <paramref name="size"/> is pickle text, e.g. "( K2 t" (a MARK, K 2, a TUPLE).</summary>
        public void Tensor(string size)
        {
            Ascii("ctorch._utils\n_rebuild_tensor_v2\n");
            Op('(', '(');
            Text("storage");
            Ascii("ctorch\nFloatStorage\n");
            Text("0");
            Text("cpu");
            Op('K', 2, 't', 'Q', 'K', 0);
            foreach (var part in size.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (part[0] == 'K') Op('K', byte.Parse(part[1..], System.Globalization.CultureInfo.InvariantCulture));
                else if (part[0] == '"') Text(part.Trim('"'));
                else foreach (var c in part) Op(c);
            Op('(', 'K', 1, 't', 't', 'R');
        }
    }

    static void AssertRefused(byte[] bytes, string reason)
    {
        using var dir = new TempFolder();
        var path = dir.File("damaged.pth.tar");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains(path, e.Message);
        Assert.True(e.Message.Contains(reason, StringComparison.Ordinal), e.Message);
        for (var cause = e.InnerException; cause is not null; cause = cause.InnerException)
            Assert.True(cause is InvalidDataException or EndOfStreamException, $"a crash renamed: {cause}");
    }

    [Fact]
    public void TheHandMadeLegacyFileIsRead()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("good.pth.tar"), Legacy());
        var file = PyTorchCheckpoint.Read(dir.File("good.pth.tar"));
        Assert.Equal("w", Assert.Single(file.StateDict).Key);
        Assert.Equal(new long[] { 2 }, file.StateDict[0].Value.shape);
    }

    [Fact]
    public void ATensorSizeThatIsNotWholeNumbersIsRefused() => AssertRefused(Legacy(size: "( \"two\" t"), "a tensor's size is not a tuple of whole numbers");

    [Fact]
    public void ATensorLargerThanItsStorageIsRefused() => AssertRefused(Legacy(size: "( K200 t"), "a tensor of size 200 has more elements than its storage (2)");

    [Fact]
    public void ATensorRebuiltWithTooFewArgumentsIsRefused() =>
        AssertRefused(Legacy(root: p => { p.Op('}', '('); p.Text("w"); p.Ascii("ctorch._utils\n_rebuild_tensor_v2\n"); p.Op('(', 'K', 1, 't', 'R', 'u'); }),
            "_rebuild_tensor_v2 is called with (Int64), not (storage, offset, size, stride)");

    [Fact]
    public void ADictOfAnOddNumberOfItemsIsRefused() =>
        AssertRefused(Legacy(root: p => { p.Op('(');  p.Text("w"); p.Op('d'); }), "pickle gives a dict 1 items, not key-value pairs");

    [Fact]
    public void AnIntThatIsNotANumberIsRefused() =>
        AssertRefused(Legacy(root: p => p.Ascii("Iten\n")), "pickle INT 'ten' is not a whole number");

    [Fact]
    public void AnAppendToSomethingThatIsNotAListIsRefused() =>
        AssertRefused(Legacy(root: p => { p.Op('}', 'K', 1, 'a'); }), "pickle appends to a Dictionary");

    [Fact]
    public void AStorageListOfNumbersIsRefused() =>
        AssertRefused(Legacy(keys: p => { p.Op(']', '(', 'K', 0, 'e'); }), "storage list missing");

    [Fact]
    public void ATensorOfAStorageTheFileDoesNotHoldIsRefused() =>
        AssertRefused(Legacy(keys: p => p.Op(']')), "a tensor uses storage 0, which the file does not hold");

    /// <summary>A list that holds itself (through the memo): walked once, not until the stack overflows.</summary>
    [Fact]
    public void AListThatHoldsItselfIsRefusedNotWalkedForever() =>
        AssertRefused(Legacy(root: p => p.Op(']', 'q', 0, 'h', 0, 'a'), keys: p => p.Op(']')), "the checkpoint holds a List`1, not a state dict");

    /// <summary>`pleura weights inspect` on a damaged file: exit 1 and one line with the path and the reason.</summary>
    [Fact]
    public void InspectADamagedPthSaysThePathAndTheReasonInOneLine()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("damaged.pth"), Legacy(size: "( K200 t"));
        var (code, printed) = Pleura.Tests.Cli.CliRunner.RunCaptured("weights", "inspect", dir.File("damaged.pth"));
        Assert.Equal(Pleura.Cli.Cli.ExitInvalidData, code);
        var lines = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.True(line.Contains(dir.File("damaged.pth"), StringComparison.Ordinal) && line.Contains("a tensor of size 200 has more elements than its storage (2)", StringComparison.Ordinal), printed);
    }
}
