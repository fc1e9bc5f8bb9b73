using Pleura.Imaging;
using Pleura.Networks.Weights;
using Pleura.Phantoms;

namespace Pleura.Tests.Cli;

[Collection("console")]
public class PretrainTests
{
    static int Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void PretrainsOnAClassFolderAndTheResultSeedsGradeTraining()
    {
        using var dir = new TempFolder();
        // A labelled folder: phantoms whose left lung is clear or severe.
        for (int i = 0; i < 48; i++)
        {
            int grade = i % 2 == 0 ? 0 : 3;
            var p = PhantomDataset.RenderOne(8, i, 48, grade, i % 4);
            PngWriter.Write(new GreyImage(48, 48, p.Image), dir.File($"set/{(grade == 0 ? "clear" : "severe")}/{i}.png"));
        }
        File.WriteAllText(dir.File("set/clear/broken.png"), "not an image");
        Assert.Equal(0, Run("pretrain", dir.File("set"), "-o", dir.File("pre.safetensors"), "--arch", "resnet10-w16", "--size", "48",
            "--grey", "sum", "--epochs2", "3", "--batch", "16", "--lr2", "3e-3"));
        var info = Checkpoint.ReadInfo(dir.File("pre.safetensors"));
        Assert.Equal(new[] { "clear", "severe" }, info.Classes);
        Assert.Equal(1, info.InputChannels);

        // The pretrained backbone starts a per-lung run whose input is RGB-shaped: conv1 is spread over three channels.
        Assert.Equal(0, Run("phantoms", "--count", "60", "--size", "48", "--seed", "2", "--out", dir.File("data")));
        Assert.Equal(0, Run("split", dir.File("data/manifest.csv"), "--out", dir.File("split.json")));
        Assert.Equal(0, Run("train", "-m", dir.File("data/manifest.csv"), "-s", dir.File("split.json"), "-o", dir.File("run"), "--arch", "resnet10-w16",
            "--size", "48", "--epochs1", "1", "--epochs2", "1", "--grey", "replicate", "--sides", "left", "--pretrained", dir.File("pre.safetensors")));
        Assert.Contains("pre.safetensors", File.ReadAllText(dir.File("run/left/model.json")));
    }
}
