using System.CommandLine;
using Pleura.Phantoms;

namespace Pleura.Cli.Commands;

internal static class PhantomsCommand
{
    public static Command Create()
    {
        var count = Cli.Option("--count", "Number of images to generate.", 200, "-n").AtLeast(1);
        var size = Cli.Option("--size", "Image width and height in pixels.", 256, "-s").AtLeast(32);
        var seed = Cli.Option("--seed", "Random seed; the same seed gives the same data set.", 1, "-k");
        var dicom = Cli.Option("--dicom", "Also write each image as DICOM (dicom/ID.dcm, a study per patient visit), e.g. to load a PACS.", false);
        var output = Cli.RequiredOption<DirectoryInfo>("--out", "Folder to write images/, masks/ and manifest.csv into.", "-o");
        var command = new Command("phantoms",
            "Generate synthetic chest radiographs with known lungs, spine, opacities and per-lung grades (the embedded default data).")
        {
            count, size, seed, dicom, output,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var options = new PhantomOptions { Count = parse.GetValue(count), Size = parse.GetValue(size), Seed = parse.GetValue(seed), Dicom = parse.GetValue(dicom) };
            var folder = parse.GetValue(output)!.FullName;
            var manifest = Cli.WithProgress("phantoms", options.Count, progress => PhantomDataset.Generate(options, folder, progress));
            int patients = manifest.Rows.Select(r => r.PatientId).Distinct().Count();
            Cli.Done($"{manifest.Rows.Count} phantoms of {patients} patients, {options.Size}x{options.Size}, in {folder} (manifest.csv{(options.Dicom ? ", DICOM in dicom/" : "")})");
            return Cli.ExitOk;
        }));
        return command;
    }
}
