using FlameKit.Transforms;

namespace FlameKit.Tests.Transforms;

/// <summary>
/// The "shape" transforms of issue #6: name clean-up (<c>--strip-args</c>, <c>--strip-packages</c>), an extra
/// <c>drop_frames</c> expression (<c>--drop-frames</c>) and pprof's granularity (<c>--granularity</c>).
/// </summary>
public class ShapeTests
{
    // ---------------------------------------------------------------- strip-args

    // Real names from the fixtures (nettrace, speedscope and chrome exports of the .NET corpus app, node's perf
    // script) plus C++ and JVM shapes.
    [Theory]
    [InlineData("System.Console!System.Console.CreateOutputWriter(class System.IO.Stream)", "System.Console!System.Console.CreateOutputWriter")]
    [InlineData("System.Console!System.Console.<get_Out>g__EnsureInitialized|26_0()", "System.Console!System.Console.<get_Out>g__EnsureInitialized|26_0")]
    [InlineData("FlameKitCorpus.AllocationWorker+<>c.<Run>b__0_0(int32)", "FlameKitCorpus.AllocationWorker+<>c.<Run>b__0_0")]
    [InlineData("System.Collections.Concurrent!System.Collections.Concurrent.ConcurrentDictionary`2[System.Text.RegularExpressions.RegexCache+Key,System.__Canon]..ctor(int32,int32)",
        "System.Collections.Concurrent!System.Collections.Concurrent.ConcurrentDictionary`2[System.Text.RegularExpressions.RegexCache+Key,System.__Canon]..ctor")]
    [InlineData("void [netapp] FlameKitCorpus.SortWorker::Run(valuetype [System.Runtime]System.Threading.CancellationToken)[QuickJitted]", "void [netapp] FlameKitCorpus.SortWorker::Run")]
    [InlineData("v8::internal::(anonymous namespace)::CompileToplevel", "v8::internal::(anonymous namespace)::CompileToplevel")]
    [InlineData("v8::internal::(anonymous namespace)::ElementsAccessorBase<v8::internal::(anonymous namespace)::FastPackedDoubleElementsAccessor, v8::internal::(anonymous namespace)::ElementsKindTraits<(v8::internal::ElementsKind)4> >::Add",
        "v8::internal::(anonymous namespace)::ElementsAccessorBase<v8::internal::(anonymous namespace)::FastPackedDoubleElementsAccessor, v8::internal::(anonymous namespace)::ElementsKindTraits<(v8::internal::ElementsKind)4> >::Add")]
    [InlineData("ns::f(int, char const*)", "ns::f")]
    [InlineData("ns::f(int) const", "ns::f")]
    [InlineData("(anonymous namespace)::worker(void*)", "(anonymous namespace)::worker")]
    [InlineData("std::vector<int, std::allocator<int> >::push_back(int const&)", "std::vector<int, std::allocator<int> >::push_back")]
    [InlineData("std::function<void (int)>::operator()(int) const", "std::function<void (int)>::operator()")]
    [InlineData("Foo::operator<<(std::ostream&)", "Foo::operator<<")]
    [InlineData("outer(int)::Local::run(long)", "outer::Local::run")]
    [InlineData("foo(int) [clone .isra.0]", "foo")]
    [InlineData("com/acme/shop/Cart.total(Ljava/lang/String;I)J", "com/acme/shop/Cart.total")]
    [InlineData("net/http.(*conn).serve", "net/http.(*conn).serve")]
    [InlineData("main.partition[...]", "main.partition[...]")]
    [InlineData("(Non-Activities)", "(Non-Activities)")]
    [InlineData("main.main", "main.main")]
    public void StripArgumentsOfOneName(string name, string expected) => Assert.Equal(expected, ProfileTransforms.StripArguments(name));

    [Fact]
    public void StripArgumentsMergesOverloads()
    {
        var p = FilterTests.Build("main;ns::f(int);ns::g(long) 2", "main;ns::f(char const*);ns::g(long) 3", "main;ns::h() 4");
        var q = ProfileTransforms.StripArguments(p);
        Assert.Equal("main;ns::f;ns::g 5|main;ns::h 4", FilterTests.Folded(q));
        // One function per distinct name, one location and one trie path per merged frame.
        Assert.Equal(4, q.Functions.Length);
        Assert.Equal(4, q.Locations.Length);
        Assert.Equal("main;ns::f(char const*);ns::g(long) 3|main;ns::f(int);ns::g(long) 2|main;ns::h() 4", FilterTests.Folded(p)); // input untouched
    }

    // ---------------------------------------------------------------- strip-packages

    [Theory]
    [InlineData("github.com/acme/shop/pkg/cache.(*Router).Load", "cache.(*Router).Load")]
    [InlineData("net/http.(*conn).serve", "http.(*conn).serve")]
    [InlineData("compress/flate.(*compressor).findMatch", "flate.(*compressor).findMatch")]
    [InlineData("runtime/internal/atomic.(*Uint32).Load", "atomic.(*Uint32).Load")]
    [InlineData("net/http.(*Transport).dialConn.func5", "http.(*Transport).dialConn.func5")]
    [InlineData("gopkg.in/yaml.v3.(*decoder).unmarshal", "yaml.v3.(*decoder).unmarshal")]
    [InlineData("github.com/a/b.Map[github.com/x/y.T]", "b.Map[github.com/x/y.T]")]
    [InlineData("runtime.mallocgc", "runtime.mallocgc")]
    [InlineData("main.partition[...]", "main.partition[...]")]
    [InlineData("/usr/lib/libc.so.6", "/usr/lib/libc.so.6")] // not a Go name: pprof's pattern needs a path segment first
    public void StripPackageOfOneName(string name, string expected) => Assert.Equal(expected, ProfileTransforms.StripPackage(name));

    [Fact]
    public void StripPackagesMergesSamePackageNames()
    {
        var p = FilterTests.Build("main.main;net/http.(*conn).serve 2", "main.main;vendor/net/http.(*conn).serve 3", "main.main;io.Copy 1");
        var q = ProfileTransforms.StripPackages(p);
        Assert.Equal("main.main;http.(*conn).serve 5|main.main;io.Copy 1", FilterTests.Folded(q));
        Assert.Equal(3, q.Functions.Length);
    }

    // ---------------------------------------------------------------- drop-frames

    private static Profile WithOwn(string drop, string keep, params string[] lines)
    {
        var p = FilterTests.Build(lines);
        return ProfileCopier.Copy(p, null, b => { b.DropFrames = drop; b.KeepFrames = keep; });
    }

    [Theory]
    [InlineData("b", "a;b;c;d 1|a;x;b;y 2|bb;b 4", "a 1|a;x 2|bb 4")]                   // a frame and its callees go; anchored: "bb" stays
    [InlineData("b", "b;a;b;c 3", "b;a 3")]                                           // frames before the first user frame stay
    [InlineData("b|a", "b;a;c 3|b;a 1", "b;a 1|b;a;c 3")]                             // all-matching root chain: nothing to cut
    [InlineData("main\\.f", "main;main.f(int);g 5", "main 5")]                        // matched against the simplified name
    [InlineData("e", "main;d+e+f;g 8", "main;d 8")]                                   // an inlined line: the location is kept, trimmed
    [InlineData("zzz", "main;a 1", "main;a 1")]
    public void DropFramesCutsAtTheFirstMatchBelowAUserFrame(string pattern, string input, string expected)
    {
        var p = FilterTests.Build(input.Split('|'));
        Assert.Equal(expected, FilterTests.Folded(ProfileTransforms.DropFrames(p, pattern)));
    }

    [Fact]
    public void DropFramesIsCombinedWithTheProfilesOwnExpression()
    {
        // Together "b" and "c" match b and c, so a is the first user frame and nothing below it matches: kept whole.
        // Two prunes in a row would have cut at c (b being a user frame for "c" alone).
        var p = WithOwn("c", "", "b;c;a;d 1", "main;x;c;y 2", "main;b;z 4");
        var q = ProfileTransforms.DropFrames(p, "b");
        Assert.Equal("b;c;a;d 1|main 4|main;x 2", FilterTests.Folded(q));
        Assert.Equal("", q.DropFrames);
        Assert.Equal("", q.KeepFrames);
    }

    [Fact]
    public void DropFramesHonoursTheProfilesKeepFrames()
    {
        var p = WithOwn("", "b", "a;b;c;d 1");
        Assert.Equal("a;b 1", FilterTests.Folded(ProfileTransforms.DropFrames(p, "b|c")));
    }

    [Fact]
    public void DropFramesRejectsABadExpression() =>
        Assert.Throws<ArgumentException>(() => ProfileTransforms.DropFrames(FilterTests.Build("a 1"), "("));

    [Fact]
    public void ChainDropsFramesBeforeFocus()
    {
        // pprof prunes drop_frames when it loads a profile, so a focus on a dropped callee no longer matches.
        var p = FilterTests.Build("main;a;b 1", "main;c 2");
        var r = new FilterChain { DropFrames = "a", Focus = new System.Text.RegularExpressions.Regex("^b$") }.Apply(p);
        Assert.Equal("", FilterTests.Folded(r));
        var kept = new FilterChain { DropFrames = "a", Focus = new System.Text.RegularExpressions.Regex("^c$") }.Apply(p);
        Assert.Equal("main;c 2", FilterTests.Folded(kept));
    }

    // ---------------------------------------------------------------- granularity

    /// <summary>
    /// main (a.go:3) calls foo at two addresses that are two lines of foo (a.go:10, a.go:12) and bar (b.go:7,
    /// inlined into foo at a.go:11); one unsymbolized frame in "server".
    /// </summary>
    private static Profile Lines()
    {
        var b = new ProfileBuilder([new SampleType("samples", "count")]);
        var server = b.AddMapping(new Mapping(0x1000, 0x9000, 0, "/opt/bin/server", ""));
        var main = b.AddFunction("main.main", "main.main", "/src/a.go", 1);
        var foo = b.AddFunction("main.foo", "main.foo", "/src/a.go", 9);
        var bar = b.AddFunction("main.bar", "main.bar", "/src/b.go", 6);
        var lmain = b.AddLocation(0x1100, server, [new Line(main, 3)]);
        var lfoo10 = b.AddLocation(0x1200, server, [new Line(foo, 10)]);
        var lfoo12 = b.AddLocation(0x1210, server, [new Line(foo, 12)]);
        var lfoo12b = b.AddLocation(0x1214, server, [new Line(foo, 12)]);
        var lbar = b.AddLocation(0x1220, server, [new Line(bar, 7), new Line(foo, 11)]);
        var raw = b.AddLocation(0x5000, server, []);
        void Add(long v, params LocationId[] rootFirst) => b.AddSample(b.StackFromRootFirst(rootFirst), [v]);
        Add(1, lmain, lfoo10);
        Add(2, lmain, lfoo12);
        Add(4, lmain, lfoo12b);
        Add(8, lmain, lbar);
        Add(16, lmain, lbar, raw);
        return b.Build();
    }

    private static string Names(Profile p) => FilterTests.Folded(p);

    [Fact]
    public void GranularityFunctionsMergesLinesAndAddresses()
    {
        var q = ProfileTransforms.Aggregate(Lines(), FrameGranularity.Functions);
        Assert.Equal("main.main;main.foo 7|main.main;main.foo+main.bar 8|main.main;main.foo+main.bar;[server] 16", Names(q));
        Assert.Equal(4, q.Locations.Length); // main, foo, foo+bar, [server]
        Assert.All(q.Locations.ToArray(), l => Assert.Equal(0UL, l.Address));
        Assert.All(q.Functions.ToArray(), f => Assert.Equal("", f.File));
    }

    [Fact]
    public void GranularityLinesNamesFileAndLine()
    {
        var q = ProfileTransforms.Aggregate(Lines(), FrameGranularity.Lines);
        Assert.Equal(
            "main.main /src/a.go:3;main.foo /src/a.go:10 1|main.main /src/a.go:3;main.foo /src/a.go:11+main.bar /src/b.go:7 8|"
            + "main.main /src/a.go:3;main.foo /src/a.go:11+main.bar /src/b.go:7;[server] 16|main.main /src/a.go:3;main.foo /src/a.go:12 6", Names(q));
        Assert.Equal(5, q.Locations.Length); // the two addresses of a.go:12 are one location now
    }

    [Fact]
    public void GranularityFilesOneNodePerFile()
    {
        var q = ProfileTransforms.Aggregate(Lines(), FrameGranularity.Files);
        Assert.Equal("/src/a.go;/src/a.go 7|/src/a.go;/src/a.go+/src/b.go 8|/src/a.go;/src/a.go+/src/b.go;[server] 16", Names(q));
    }

    [Fact]
    public void GranularityFileFunctions()
    {
        var q = ProfileTransforms.Aggregate(Lines(), FrameGranularity.FileFunctions);
        Assert.Equal("main.main /src/a.go;main.foo /src/a.go 7|main.main /src/a.go;main.foo /src/a.go+main.bar /src/b.go 8|"
            + "main.main /src/a.go;main.foo /src/a.go+main.bar /src/b.go;[server] 16", Names(q));
    }

    [Fact]
    public void GranularityAddressesKeepsEveryLocation()
    {
        var q = ProfileTransforms.Aggregate(Lines(), FrameGranularity.Addresses);
        Assert.Equal(6, q.Locations.Length);
        string folded = Names(q);
        Assert.Contains("0000000000001100 main.main /src/a.go:3;0000000000001210 main.foo /src/a.go:12 2", folded, StringComparison.Ordinal);
        Assert.Contains(";0000000000005000 [server] 16", folded, StringComparison.Ordinal);
    }

    [Fact]
    public void ChainAggregatesAfterTheFilters()
    {
        // The focus sees the function names, not "name file:line"; anchored on the name alone it still matches.
        var r = new FilterChain { Focus = new System.Text.RegularExpressions.Regex("^main\\.bar$"), Granularity = FrameGranularity.Files }.Apply(Lines());
        Assert.Equal("/src/a.go;/src/a.go+/src/b.go 8|/src/a.go;/src/a.go+/src/b.go;[server] 16", Names(r));
    }

    [Fact]
    public void ChainStripsNamesBeforeAggregating()
    {
        var p = FilterTests.Build("main;ns::f(int)@x.cc 1", "main;ns::f(long)@x.cc 2");
        var r = new FilterChain { StripArguments = true, Granularity = FrameGranularity.FileFunctions }.Apply(p);
        Assert.Equal("main;ns::f x.cc 3", Names(r));
    }
}
