using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pleura.Server;

/// <summary>The operator's API keys, kept as SHA-256 digests and compared in constant time.</summary>
public sealed class ApiKeys
{
    readonly byte[][] _digests;

    public ApiKeys(IEnumerable<string> keys) => _digests = keys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k.Trim()))).ToArray();

    public bool Accepts(string presented)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented.Trim()));
        bool found = false;
        foreach (var d in _digests) found |= CryptographicOperations.FixedTimeEquals(d, digest);
        return found;
    }

    /// <summary>Keys from a file (one per line; blank lines and # comments skipped) or the PLEURA_API_KEYS variable (comma-separated).</summary>
    public static IReadOnlyList<string> Read(string? file, string? variable)
    {
        var keys = new List<string>();
        if (file is not null)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"{file}: API key file not found", file);
            var inFile = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
            if (inFile.Count == 0) throw new InvalidDataException($"{file}: the API key file holds no key (one key a line; lines starting with # are comments)");
            keys.AddRange(inFile);
        }
        if (!string.IsNullOrWhiteSpace(variable)) keys.AddRange(variable.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return keys;
    }
}

/// <summary>
/// Authenticates a caller by an API key sent as <c>X-API-Key: KEY</c> or <c>Authorization: Bearer KEY</c>; every
/// route but health (and the viewer's static page, which holds no data and asks for a key) requires it.
/// </summary>
public sealed class ApiKeyAuthentication : AuthenticationHandler<AuthenticationSchemeOptions>
{
    public const string SchemeName = "ApiKey";
    readonly ApiKeys _keys;

    public ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeys keys)
        : base(options, logger, encoder) => _keys = keys;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? presented = Request.Headers["X-API-Key"].FirstOrDefault();
        var authorization = Request.Headers.Authorization.FirstOrDefault();
        if (presented is null && authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            presented = authorization["Bearer ".Length..];
        if (presented is null) return Task.FromResult(AuthenticateResult.NoResult());
        if (!_keys.Accepts(presented)) return Task.FromResult(AuthenticateResult.Fail("the API key is not valid"));
        var identity = new ClaimsIdentity(new[] { new Claim(ClaimTypes.Name, "api-key") }, SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Response.WriteAsJsonAsync(new { error = "unauthorized", message = "send an API key as X-API-Key or Authorization: Bearer" }).ConfigureAwait(false);
    }
}
