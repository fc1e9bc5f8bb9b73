using Microsoft.Playwright;
using Pleura.Grading;
using Pleura.Server;
using static Microsoft.Playwright.Assertions;

namespace Pleura.Tests.Server;

/// <summary>The web viewer end to end in a real browser (Debian's chromium driven by Playwright).</summary>
[Collection("console")]
public sealed class ViewerBrowserTests : IClassFixture<ServerWorld>
{
    const string Chromium = "/usr/bin/chromium";
    readonly ServerWorld _world;

    public ViewerBrowserTests(ServerWorld world) => _world = world;

    [SkippableFact]
    public async Task A_user_connects_with_a_key_opens_an_image_and_sees_the_grades_overlay_and_model_card()
    {
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is not installed (apt-get install chromium; .ci/run installs it)");
        await using var server = await PleuraServer.Start(_world.Options());
        var (expected, _, _) = ImagePrediction.Predict(_world.Run, new[] { _world.Image(7) });

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Args = new[] { "--no-sandbox", "--disable-gpu" },
        });
        var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);
        await page.GotoAsync(server.Addresses[0] + "/");

        // Before a key: no result box and no image (broken or not), and the model list says what it waits for.
        await Expect(page.Locator("#result")).ToBeHiddenAsync();
        await Expect(page.Locator("#overlay")).ToBeHiddenAsync();
        await Expect(page.Locator("#run")).ToBeDisabledAsync();
        await Expect(page.Locator("#run")).ToContainTextAsync("enter an API key");

        // A wrong key is refused and nothing is shown.
        await page.FillAsync("#api-key", "wrong-key-0123456789abc");
        await page.ClickAsync("#key-form button");
        await Expect(page.Locator("#key-status")).ToHaveTextAsync("key refused");

        await page.FillAsync("#api-key", ServerWorld.Key);
        await page.ClickAsync("#key-form button");
        await Expect(page.Locator("#key-status")).ToHaveTextAsync("connected");
        await Expect(page.Locator("#card-body")).ToContainTextAsync("resnet10-w16");

        await page.SetInputFilesAsync("#file", _world.Image(7));
        foreach (var side in new[] { "left", "right" })
        {
            var grade = expected.Single(p => p.Side == side).Predicted.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Expect(page.Locator($".side[data-side={side}] .grade")).ToHaveTextAsync(grade);
        }
        await Expect(page.Locator("#image-name")).ToContainTextAsync("ph00007.png");
        var overlay = await page.Locator("#overlay").GetAttributeAsync("src");
        Assert.StartsWith("data:image/png;base64,", overlay, StringComparison.Ordinal);
        // The picture really decodes in the browser.
        Assert.True(await page.EvaluateAsync<bool>("() => { const i = document.getElementById('overlay'); return i.complete && i.naturalWidth > 0; }"));

        // A file that is not a radiograph gets the server's reason, not a broken page.
        var text = _world.File("notes.txt");
        await File.WriteAllTextAsync(text, "not an image");
        await page.SetInputFilesAsync("#file", text);
        await Expect(page.Locator("#message")).ToContainTextAsync("not");
        Assert.Empty(errors);
    }
}
