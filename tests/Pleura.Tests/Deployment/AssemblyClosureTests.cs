using System.Reflection;
using System.Reflection.Emit;
using Pleura.Cli.Deployment;

namespace Pleura.Tests.Deployment;

public class AssemblyClosureTests
{
    /// <summary>The CLI's own build output for the configuration these tests were built in (Debug or Release).</summary>
    static string CliOutput()
    {
        // The test folder holds a copy of the CLI's assemblies; the CLI's own folder is the deployed one.
        // bin/<configuration>/net10.0/ holds the tests.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Pleura.Cli", "bin", configuration, "net10.0");
            if (File.Exists(Path.Combine(candidate, "pleura.dll"))) return candidate;
        }
        throw new InvalidOperationException($"no src/Pleura.Cli/bin/{configuration}/net10.0/pleura.dll above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void EveryReferenceOfTheBuiltCliResolvesToADeployedAssemblyOfAtLeastItsVersion()
    {
        var folder = CliOutput();
        var problems = AssemblyClosure.Check(folder);
        Assert.True(problems.Count == 0, $"{folder}:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void TheTestOutputIsClosedToo()
    {
        var problems = AssemblyClosure.Check(AppContext.BaseDirectory);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void AnOlderDeployedVersionThanAReferenceAsksForIsReported()
    {
        // The bug this guards: Pleura.Networks compiled against Google.Protobuf 3.30.2 while 3.29.3 was deployed.
        var folder = Directory.CreateTempSubdirectory("pleura-closure-").FullName;
        try
        {
            var source = CliOutput();
            foreach (var file in Directory.EnumerateFiles(source, "*.dll").Where(f => Path.GetFileName(f).StartsWith("Pleura.", StringComparison.Ordinal)))
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            foreach (var file in Directory.EnumerateFiles(source, "*.runtimeconfig.json"))
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            var referenced = typeof(Pleura.Networks.TorchRuntime).Assembly.GetReferencedAssemblies().Single(a => a.Name == "Google.Protobuf");
            var older = new Version(referenced.Version!.Major, referenced.Version.Minor - 1, 0, 0);
            EmitEmptyAssembly("Google.Protobuf", older, Path.Combine(folder, "Google.Protobuf.dll"));

            var problems = AssemblyClosure.Check(folder);

            var conflict = Assert.Single(problems, p => p.Reference.Name == "Google.Protobuf" && p.Referrer == "Pleura.Networks.dll");
            Assert.Equal(older, conflict.Found);
            Assert.Contains($"but {older} is what this folder gets", conflict.ToString());
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void AReferenceToAnAssemblyThatIsNowhereIsReported()
    {
        var folder = Directory.CreateTempSubdirectory("pleura-closure-").FullName;
        try
        {
            File.Copy(Path.Combine(CliOutput(), "Pleura.Imaging.dll"), Path.Combine(folder, "Pleura.Imaging.dll"));
            var problems = AssemblyClosure.Check(folder);
            Assert.Contains(problems, p => p.Reference.Name == "NetVips" && p.Found is null);
            Assert.Contains("neither deployed nor in a shared framework", problems.First(p => p.Reference.Name == "NetVips").ToString());
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void AMissingFolderIsNamed()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => AssemblyClosure.Check("/no/such/pleura/folder"));
        Assert.Contains("/no/such/pleura/folder", e.Message);
    }

    static void EmitEmptyAssembly(string name, Version version, string path)
    {
        var builder = new PersistedAssemblyBuilder(new AssemblyName(name) { Version = version }, typeof(object).Assembly);
        builder.DefineDynamicModule(name).DefineType("Placeholder", TypeAttributes.Public).CreateType();
        builder.Save(path);
    }
}
