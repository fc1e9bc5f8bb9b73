using System.Text.Json;

namespace Pleura.Data;

/// <summary>Serializer settings shared by the JSON files Pleura writes (built once: they cache type metadata).</summary>
public static class JsonText
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
