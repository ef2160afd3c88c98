namespace FlameKit;

/// <summary>Index of a <see cref="Mapping"/> in <see cref="Profile.Mappings"/>; <see cref="None"/> means "no mapping".</summary>
/// <param name="Index">Zero-based index; 0 is reserved for "no mapping".</param>
public readonly record struct MappingId(int Index)
{
    /// <summary>No mapping is known for the location.</summary>
    public static readonly MappingId None = new(0);
    /// <summary>True when this id refers to a real mapping.</summary>
    public bool IsNone => Index == 0;
}

/// <summary>Index of a <see cref="Function"/> in <see cref="Profile.Functions"/>.</summary>
/// <param name="Index">Zero-based index.</param>
public readonly record struct FunctionId(int Index);

/// <summary>Index of a <see cref="Location"/> in <see cref="Profile.Locations"/>.</summary>
/// <param name="Index">Zero-based index.</param>
public readonly record struct LocationId(int Index);

/// <summary>
/// A node of the profile's interned stack trie. A stack is identified by its leaf-most node; walking
/// <see cref="Profile.StackParent"/> goes towards the root (the caller). <see cref="Empty"/> is the empty stack.
/// </summary>
/// <param name="Index">Zero-based index; 0 is the empty stack.</param>
public readonly record struct StackId(int Index)
{
    /// <summary>The empty stack (the trie root).</summary>
    public static readonly StackId Empty = new(0);
    /// <summary>True for the empty stack.</summary>
    public bool IsEmpty => Index == 0;
}

/// <summary>Index of an interned label set in <see cref="Profile.Labels"/>; <see cref="Empty"/> is the set with no labels.</summary>
/// <param name="Index">Zero-based index; 0 is the empty set.</param>
public readonly record struct LabelSetId(int Index)
{
    /// <summary>The label set without labels.</summary>
    public static readonly LabelSetId Empty = new(0);
}

/// <summary>Index of a <see cref="ThreadInfo"/> in <see cref="Profile.Threads"/>; <see cref="None"/> means no thread is known.</summary>
/// <param name="Index">Zero-based index, or -1 for none.</param>
public readonly record struct ThreadIndex(int Index)
{
    /// <summary>No thread identity recorded.</summary>
    public static readonly ThreadIndex None = new(-1);
    /// <summary>True when no thread is recorded.</summary>
    public bool IsNone => Index < 0;
}
