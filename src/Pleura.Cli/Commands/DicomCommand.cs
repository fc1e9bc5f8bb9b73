using System.CommandLine;
using Pleura.Dicom;
using Spectre.Console;

namespace Pleura.Cli.Commands;

internal static class DicomCommand
{
    public static Command Create() => new("dicom", "Look inside DICOM files.") { DumpCommand() };

    static Command DumpCommand()
    {
        var file = new Argument<FileInfo>("file") { Description = "A DICOM file (Part 10, or a bare dataset)." };
        var command = new Command("dump", "Print a DICOM file's elements: tag, VR, name and value, sequence items and pixel data fragments indented.") { file };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(file)!.FullName;
            try
            {
                AnsiConsole.Console.Profile.Out.Writer.Write(DicomDump.Dump(DicomFileReader.Read(path)));
                return Cli.ExitOk;
            }
            catch (DicomReadException e)
            {
                Cli.Error(e.Message);
                return Cli.ExitInvalidData;
            }
        }));
        return command;
    }
}
