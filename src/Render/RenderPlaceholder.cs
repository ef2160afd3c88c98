namespace FlameKit.Rendering;

/// <summary>Placeholder until the renderer lands.</summary>
internal static class RenderPlaceholder { }
