using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FlameKit.Transforms;

public static partial class ProfileTransforms
{
    // ---------------------------------------------------------------- name clean-up

    /// <summary>
    /// Drops argument lists from function names: C++ <c>ns::f(int, char const*) const</c> becomes <c>ns::f</c>,
    /// Java/JIT <c>com/acme/A.run(Ljava/lang/String;)V</c> becomes <c>com/acme/A.run</c>. Template arguments
    /// (<c>std::vector&lt;int&gt;::push_back</c>), pprof's <c>(anonymous namespace)</c>, <c>operator()</c> and Go
    /// method receivers (<c>pkg.(*T).M</c>) are kept. Functions whose names become equal (overloads) are merged
    /// into one function (by name and file), so their frames merge too.
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <returns>The profile with shorter names.</returns>
    public static Profile StripArguments(Profile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return RenameFunctions(p, StripArguments);
    }

    /// <summary>
    /// Drops Go import paths from function names, as pprof's <c>ShortenFunctionName</c> does for Go names in its
    /// graphs: <c>github.com/acme/shop/pkg/cache.(*Router).Load</c> becomes <c>cache.(*Router).Load</c> and
    /// <c>net/http.(*conn).serve</c> becomes <c>http.(*conn).serve</c>; only the path up to the last <c>/</c>
    /// before the package name goes (paths inside generic type arguments stay). Functions whose names become
    /// equal are merged (by name and file).
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <returns>The profile with shorter names.</returns>
    public static Profile StripPackages(Profile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return RenameFunctions(p, StripPackage);
    }

    // pprof internal/graph: goRegExp = `^(?:[\w\-\.]+\/)+([^.]+\..+)`. Path segments cannot hold '(' or '[', so
    // the greedy prefix stops before a receiver or generic arguments.
    [GeneratedRegex(@"^(?:[\w\-\.]+/)+([^.]+\..+)", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex GoPackagePath();

    /// <summary>One name without its Go import path (see <see cref="StripPackages(Profile)"/>).</summary>
    /// <param name="name">A function name.</param>
    /// <returns>The name from the package name on, or <paramref name="name"/> when it has no import path.</returns>
    public static string StripPackage(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.IndexOf('/') < 0) return name;
        var m = GoPackagePath().Match(name);
        return m.Success ? m.Groups[1].Value : name;
    }

    /// <summary>One name without its argument lists (see <see cref="StripArguments(Profile)"/>).</summary>
    /// <param name="name">A function name.</param>
    /// <returns>The shortened name; <paramref name="name"/> when nothing is stripped or the result would be empty.</returns>
    public static string StripArguments(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.IndexOf('(') < 0) return name;
        var sb = new StringBuilder(name.Length);
        int angle = 0; // template depth: parentheses inside template arguments are types, not argument lists
        int i = 0;
        while (i < name.Length)
        {
            char c = name[i];
            if (IsOperatorAt(name, i))
            {
                // "operator()", "operator<<", "operator->": the symbols are part of the name and must not move the
                // template depth or be taken for an argument list.
                int j = i + "operator".Length;
                if (j + 1 < name.Length && name[j] == '(' && name[j + 1] == ')') j += 2;
                else while (j < name.Length && "<>=!+-*/%^&|~[],".Contains(name[j])) j++;
                sb.Append(name, i, j - i);
                i = j;
                continue;
            }
            if (c == '<') angle++;
            else if (c == '>' && angle > 0) angle--;
            else if (c == '(' && angle == 0 && i > 0 && name[i - 1] != '.'
                && !name.AsSpan(i).StartsWith("(anonymous namespace)", StringComparison.Ordinal))
            {
                int close = MatchingParen(name, i);
                if (close < 0) break; // unbalanced: drop the rest, it can only be a cut-off argument list
                i = close + 1;
                // "f(int)::g(long)" (a function-local entity) goes on; anything else after an argument list is a
                // qualifier (" const", " &&", "[clone .isra.0]") or a JVM return type ("V"): dropped.
                if (name.AsSpan(i).StartsWith("::", StringComparison.Ordinal)) continue;
                break;
            }
            sb.Append(c);
            i++;
        }
        string result = sb.ToString().TrimEnd();
        return result.Length == 0 ? name : result;
    }

    private static bool IsOperatorAt(string s, int i) =>
        s.AsSpan(i).StartsWith("operator", StringComparison.Ordinal)
        && (i == 0 || !(char.IsLetterOrDigit(s[i - 1]) || s[i - 1] == '_'))
        && (i + 8 >= s.Length || !(char.IsLetterOrDigit(s[i + 8]) || s[i + 8] == '_'));

    private static int MatchingParen(string s, int open)
    {
        int depth = 0;
        for (int k = open; k < s.Length; k++)
        {
            if (s[k] == '(') depth++;
            else if (s[k] == ')' && --depth == 0) return k;
        }
        return -1;
    }

    /// <summary>
    /// Copies <paramref name="p"/> with every function renamed; functions with the same new name and file become one
    /// (the first one's system name and start line are kept), and locations and stacks that become equal merge.
    /// </summary>
    private static Profile RenameFunctions(Profile p, Func<string, string> rename)
    {
        var byKey = new Dictionary<(string, string), Function>();
        var fns = new Function[p.Functions.Length];
        for (int i = 0; i < fns.Length; i++)
        {
            var f = p.Functions[i];
            string n = rename(f.Name);
            // The system name is the same symbol (often equal to the name): renamed alike so it cannot keep overloads apart.
            if (!byKey.TryGetValue((n, f.File), out var merged))
            {
                merged = f with { Name = n, SystemName = f.SystemName == f.Name ? n : rename(f.SystemName) };
                byKey.Add((n, f.File), merged);
            }
            fns[i] = merged;
        }
        return RewriteLocations(p, (b, loc) =>
        {
            var lines = loc.Lines.ToArray();
            for (int k = 0; k < lines.Length; k++)
            {
                var f = fns[lines[k].Function.Index];
                lines[k] = lines[k] with { Function = b.AddFunction(f.Name, f.SystemName, f.File, f.StartLine) };
            }
            return b.AddLocation(loc.Address, loc.Mapping, lines, loc.IsFolded);
        });
    }

    /// <summary>
    /// Copies <paramref name="p"/> with each location replaced by <paramref name="map"/>'s (called once per location
    /// in use); only functions and locations the map adds are in the copy, and the stacks are re-interned, so
    /// locations mapped to the same one merge their stacks.
    /// </summary>
    private static Profile RewriteLocations(Profile p, Func<ProfileBuilder, Location, LocationId> map)
    {
        var locMap = new int[p.Locations.Length];
        Array.Fill(locMap, -1);
        return ProfileCopier.Copy(p, (src, b, stack) =>
        {
            int depth = src.StackDepth(stack);
            var buf = new LocationId[depth];
            src.CopyStackRootFirst(stack, buf);
            var s = StackId.Empty;
            foreach (var l in buf)
            {
                ref int nl = ref locMap[l.Index];
                if (nl < 0) nl = map(b, src.Locations[l.Index]).Index;
                s = b.Push(s, new LocationId(nl));
            }
            return s;
        }, copyTables: false);
    }

    // ---------------------------------------------------------------- granularity

    /// <summary>
    /// pprof's <c>-granularity</c> (its <c>Profile.Aggregate</c> followed by the node naming of its reports): keeps
    /// only the parts of each frame the granularity asks for, merges locations that become identical (and so their
    /// stacks), and names each function as pprof's reports name the node, so every report, folded output and flame
    /// graph shows it:
    /// <list type="bullet">
    /// <item><see cref="FrameGranularity.Functions"/>: <c>main.foo</c> (file, line and address dropped);</item>
    /// <item><see cref="FrameGranularity.FileFunctions"/>: <c>main.foo /src/server.go</c>;</item>
    /// <item><see cref="FrameGranularity.Files"/>: <c>/src/server.go</c> (one node per source file);</item>
    /// <item><see cref="FrameGranularity.Lines"/>: <c>main.foo /src/server.go:12</c>;</item>
    /// <item><see cref="FrameGranularity.Addresses"/>: <c>0000000000465ac0 main.foo /src/server.go:12</c> (nothing merged).</item>
    /// </list>
    /// Frames without a function name are named <c>[binary]</c> after their mapping, or <c>&lt;unknown&gt;</c>, as in
    /// pprof. Inlined frames stay separate frames. The renamed functions keep the file (and the lines their number)
    /// that the granularity keeps.
    /// </summary>
    /// <param name="p">The profile.</param>
    /// <param name="granularity">The granularity.</param>
    /// <returns>The aggregated profile.</returns>
    public static Profile Aggregate(Profile p, FrameGranularity granularity)
    {
        ArgumentNullException.ThrowIfNull(p);
        bool function = granularity != FrameGranularity.Files;
        bool file = granularity != FrameGranularity.Functions;
        bool line = granularity is FrameGranularity.Lines or FrameGranularity.Addresses;
        bool address = granularity == FrameGranularity.Addresses;
        return RewriteLocations(p, (b, loc) =>
        {
            ulong addr = address ? loc.Address : 0;
            string addrPart = addr != 0 ? addr.ToString("x16", CultureInfo.InvariantCulture) + " " : "";
            string objName = ObjectName(p, loc);
            var src = loc.Lines;
            if (src.IsEmpty)
            {
                // No function: pprof's node is the address (kept only at "addresses") and the binary.
                var fn = b.AddFunction(addrPart + objName);
                return b.AddLocation(addr, loc.Mapping, [new Line(fn, 0)], loc.IsFolded);
            }
            var lines = new Line[src.Length];
            for (int k = 0; k < src.Length; k++)
            {
                var f = p.Functions[src[k].Function.Index];
                string name = function ? f.Name : "";
                string fileName = file ? f.File : "";
                long number = line ? src[k].Number : 0;
                string display;
                if (number != 0) display = JoinName(addrPart, name, string.Create(CultureInfo.InvariantCulture, $"{fileName}:{number}"));
                else if (fileName.Length > 0) display = JoinName(addrPart, name, fileName);
                else if (name.Length > 0) display = addrPart + name;
                else display = addrPart + objName;
                lines[k] = new Line(b.AddFunction(display, "", fileName), number);
            }
            return b.AddLocation(addr, loc.Mapping, lines, loc.IsFolded);
        });
    }

    private static string JoinName(string addrPart, string name, string rest) => name.Length > 0 ? $"{addrPart}{name} {rest}" : addrPart + rest;

    private static string ObjectName(Profile p, in Location loc)
    {
        string obj = loc.Mapping.IsNone ? "" : p.Mappings[loc.Mapping.Index].FileBaseName;
        return obj.Length > 0 ? "[" + obj + "]" : "<unknown>";
    }
}
