using System.Text.RegularExpressions;

namespace FlameKit.Transforms;

/// <summary>Pure transforms over <see cref="Profile"/>: each returns a new profile and leaves its input alone.</summary>
public static partial class ProfileTransforms
{
    /// <summary>
    /// Applies the profile's own <see cref="Profile.DropFrames"/> / <see cref="Profile.KeepFrames"/>, as pprof
    /// does when it loads a profile: in each stack, the first location (scanning from the root) that matches
    /// <c>drop_frames</c> and not <c>keep_frames</c> is removed together with everything it called, except
    /// that frames before the first non-matching ("user") frame from the root are never pruned.
    /// </summary>
    /// <remarks>
    /// <para>Both expressions are anchored (<c>^(...)$</c>) and matched against simplified function names:
    /// a leading <c>.</c> is dropped and the name is cut at its first <c>(</c> (unless that starts
    /// <c>(anonymous namespace)</c>), so <c>pkg.(*T).M</c> is matched as <c>pkg.</c>.</para>
    /// <para>For a location with inlined lines, the lines are scanned from the outermost caller inwards;
    /// if the outermost line matches, the whole location is pruned; if an inner one matches, that line and
    /// the lines inlined into it are removed and the location is kept as the stack's new leaf.</para>
    /// <para>The result has empty <see cref="Profile.DropFrames"/> and <see cref="Profile.KeepFrames"/>, since
    /// they have been applied.</para>
    /// </remarks>
    /// <param name="p">The profile.</param>
    /// <returns>The pruned profile, or <paramref name="p"/> itself when it has no <c>drop_frames</c>.</returns>
    /// <exception cref="ArgumentException">An expression is not a valid regular expression.</exception>
    public static Profile PruneDropFrames(Profile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (string.IsNullOrEmpty(p.DropFrames)) return p;
        return Prune(p, p.DropFrames, p.KeepFrames);
    }

    /// <summary>
    /// Drops the frames matching <paramref name="pattern"/> and everything they call, as if the pattern were part of
    /// the profile's own <c>drop_frames</c>: it is combined with <see cref="Profile.DropFrames"/> (either matching
    /// drops a frame) and the profile's <see cref="Profile.KeepFrames"/> still protects frames, then pprof's prune
    /// runs as in <see cref="PruneDropFrames"/> (anchored match on the simplified name, frames from the root up to
    /// the first frame that does not match are never dropped).
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <param name="pattern">A regular expression (RE2-like .NET syntax), matched against the whole simplified name.</param>
    /// <returns>The pruned profile, with empty <see cref="Profile.DropFrames"/> and <see cref="Profile.KeepFrames"/>.</returns>
    /// <exception cref="ArgumentException">An expression is not a valid regular expression.</exception>
    public static Profile DropFrames(Profile p, string pattern)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        // Validate the flag alone first, so an error names the user's expression rather than the combination.
        Compile(pattern, "drop-frames");
        // Both sit inside one anchored group, so "own|flag" means "the whole name matches own or flag".
        string combined = string.IsNullOrEmpty(p.DropFrames) ? pattern : p.DropFrames + "|" + pattern;
        return Prune(p, combined, p.KeepFrames);
    }

    private static Profile Prune(Profile p, string dropPattern, string keepPattern)
    {
        var drop = Compile(dropPattern, "drop_frames");
        var keep = string.IsNullOrEmpty(keepPattern) ? null : Compile(keepPattern, "keep_frames");

        var locs = p.Locations;
        // Per location: 0 = user frame, 1 = prune the whole location, 2 = prune beneath it (keeps trimmed lines).
        var action = new byte[locs.Length];
        var keptLines = new int[locs.Length]; // for action 2: how many of the outer lines remain
        var nameMatch = new Dictionary<int, bool>();
        for (int li = 0; li < locs.Length; li++)
        {
            var lines = locs[li].Lines;
            int i;
            for (i = lines.Length - 1; i >= 0; i--)
            {
                int fi = lines[i].Function.Index;
                if (!nameMatch.TryGetValue(fi, out bool m))
                {
                    string name = p.Functions[fi].Name;
                    m = false;
                    if (name.Length > 0)
                    {
                        string simple = Simplify(name);
                        m = drop.IsMatch(simple) && (keep is null || !keep.IsMatch(simple));
                    }
                    nameMatch[fi] = m;
                }
                if (m) break;
            }
            if (i < 0) continue;
            if (i == lines.Length - 1) action[li] = 1;
            else { action[li] = 2; keptLines[li] = lines.Length - 1 - i; }
        }

        return ProfileCopier.Copy(p, (src, b, stack) =>
        {
            int depth = src.StackDepth(stack);
            var buf = new LocationId[depth];
            src.CopyStackRootFirst(stack, buf);
            int cut = depth; // number of root-first locations kept
            bool foundUser = false;
            for (int j = 0; j < depth; j++)
            {
                byte a = action[buf[j].Index];
                if (a == 0) { foundUser = true; continue; }
                if (!foundUser) continue;
                if (a == 1) cut = j;
                else cut = j + 1;
                break;
            }
            var s = StackId.Empty;
            for (int j = 0; j < cut; j++) s = b.Push(s, MapLocation(src, b, buf[j], action, keptLines));
            // Locations before the first user frame keep their trimmed lines too (pprof trims them globally).
            return s;
        }, b => { b.DropFrames = ""; b.KeepFrames = ""; });
    }

    private static LocationId MapLocation(Profile src, ProfileBuilder b, LocationId id, byte[] action, int[] keptLines)
    {
        // pprof trims the lines of a "prune beneath" location everywhere it occurs, not only where it cut.
        if (action[id.Index] != 2) return id;
        var loc = src.Locations[id.Index];
        var lines = loc.Lines;
        int keep = keptLines[id.Index];
        return b.AddLocation(loc.Address, loc.Mapping, lines[(lines.Length - keep)..], loc.IsFolded);
    }

    private static Regex Compile(string pattern, string what)
    {
        try
        {
            return new Regex("^(" + pattern + @")\z", RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{what}: invalid regular expression \"{pattern}\": {e.Message}", e);
        }
    }

    /// <summary>pprof's name simplification for drop/keep matching.</summary>
    internal static string Simplify(string name)
    {
        if (name.StartsWith('.')) name = name[1..];
        int paren = name.IndexOf('(');
        if (paren > 0 && !name.AsSpan(paren).StartsWith("(anonymous namespace)", StringComparison.Ordinal)) name = name[..paren];
        return name;
    }
}
