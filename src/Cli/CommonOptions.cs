using System.CommandLine;

namespace FlameKit.Cli;

/// <summary>Options and arguments shared by several commands, defined once so their help never drifts.</summary>
internal static class CommonOptions
{
    public static Argument<string?> Input() => new("FILE")
    {
        Description = "Profile to read (any supported format, gzipped or not, detected from content); '-' or none reads stdin",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public static Option<string?> Output() => new("--output", "-o")
    {
        Description = "Write to this file (written whole or not at all) instead of stdout",
        HelpName = "OUT",
    };

    public static Option<string?> From() => new("--from")
    {
        Description = "Input format, skipping detection: " + string.Join(", ", Formats.ProfileFormats.Readers.Select(r => r.Format.Name)),
        HelpName = "FORMAT",
    };

    public static Option<string?> Profile() => new("--profile")
    {
        Description = "For files holding several profiles (speedscope): which one, by name or index, or 'all' (one thread each); default: the file's active profile",
        HelpName = "NAME|N",
    };

    public static Option<bool> StateRoot() => new("--goroutine-state-root")
    {
        Description = "Goroutine dumps (debug=2): put each goroutine's state, e.g. [chan receive], as the root frame so the graph splits by state",
    };

    public static Option<string?> SampleIndex() => new("--sample-index")
    {
        Description = "Sample type to use, by name (inuse_space, alloc_objects, cpu, ...) or index; default: the profile's default (else the last), as pprof",
        HelpName = "NAME|N",
    };

    /// <summary>pprof's <c>-mean</c>, for the reports that honour it (see <see cref="ReportSupport.CheckMean"/>).</summary>
    public static Option<bool> Mean() => new("--mean")
    {
        Description = "Show each value divided by the first sample type (the count) of the same samples, e.g. the mean delay per contention (pprof -mean)",
    };

    /// <summary>The perf script options (stackcollapse-perf.pl's flags), added to a command as a group.</summary>
    public sealed class PerfFlags
    {
        public Option<bool> Pid { get; } = new("--perf-pid") { Description = "perf script: root frame comm-PID (stackcollapse-perf.pl --pid)" };
        public Option<bool> Tid { get; } = new("--perf-tid") { Description = "perf script: root frame comm-PID/TID (--tid)" };
        public Option<bool> Kernel { get; } = new("--perf-kernel") { Description = "perf script: suffix kernel frames with _[k] (--kernel)" };
        public Option<bool> Jit { get; } = new("--perf-jit") { Description = "perf script: suffix JIT (/tmp/perf-PID.map) frames with _[j] (--jit)" };
        public Option<bool> All { get; } = new("--perf-all") { Description = "perf script: both _[k] and _[j] annotations (--all)" };
        public Option<bool> Addrs { get; } = new("--perf-addrs") { Description = "perf script: name unresolved frames [module <addr>] (--addrs)" };
        public Option<string?> Event { get; } = new("--perf-event") { Description = "perf script: keep samples of this event only; default: the first event (--event-filter)", HelpName = "NAME" };
        public Option<bool> Timeline { get; } = new("--perf-timeline")
        {
            Description = "perf script: keep every sample with its time and thread (implied by --to speedscope|chrome, --flamechart, --thread, --time)",
        };

        public void AddTo(Command cmd)
        {
            foreach (Option o in new Option[] { Pid, Tid, Kernel, Jit, All, Addrs, Event, Timeline }) cmd.Options.Add(o);
        }

        /// <summary>The perf options; <paramref name="keepTimeline"/> turns the timeline on for consumers that need it.</summary>
        public Formats.PerfScriptOptions Get(ParseResult parse, bool keepTimeline = false) => new()
        {
            KeepTimeline = keepTimeline || parse.GetValue(Timeline),
            IncludePid = parse.GetValue(Pid),
            IncludeTid = parse.GetValue(Tid),
            AnnotateKernel = parse.GetValue(Kernel),
            AnnotateJit = parse.GetValue(Jit),
            All = parse.GetValue(All),
            Addrs = parse.GetValue(Addrs),
            EventFilter = parse.GetValue(Event),
        };
    }

    /// <summary>The .nettrace options, added to a command as a group.</summary>
    public sealed class NettraceFlags
    {
        public Option<bool> CpuOnly { get; } = new("--nettrace-cpu-only") { Description = ".nettrace: CPU time only (samples in managed code), without the time threads spent blocked or in native code (UNMANAGED_CODE_TIME)" };
        public Option<bool> ThreadRoot { get; } = new("--nettrace-thread-root") { Description = ".nettrace: start stacks at the Thread (TID) frame, without dotnet-trace's Process64/(Non-Activities)/Threads frames above it" };

        public void AddTo(Command cmd)
        {
            cmd.Options.Add(CpuOnly);
            cmd.Options.Add(ThreadRoot);
        }

        public Formats.NettraceOptions Get(ParseResult parse) => new()
        {
            CpuOnly = parse.GetValue(CpuOnly),
            ProcessFrames = !parse.GetValue(ThreadRoot),
        };
    }
}

/// <summary>
/// The input of a single-profile command: the file argument and the options that shape how it is read
/// (forced format, profile selection, goroutine state root, perf script flags). One group, so every command
/// reads every format the same way.
/// </summary>
internal sealed class InputOptions
{
    public Argument<string?> File { get; } = CommonOptions.Input();
    public Option<string?> From { get; } = CommonOptions.From();
    public Option<string?> Profile { get; } = CommonOptions.Profile();
    public Option<bool> StateRoot { get; } = CommonOptions.StateRoot();
    public CommonOptions.PerfFlags Perf { get; } = new();
    public CommonOptions.NettraceFlags Nettrace { get; } = new();

    public void AddTo(Command cmd)
    {
        cmd.Arguments.Add(File);
        cmd.Options.Add(From);
        cmd.Options.Add(Profile);
        cmd.Options.Add(StateRoot);
        Perf.AddTo(cmd);
        Nettrace.AddTo(cmd);
    }

    /// <summary>Display name of the input ("&lt;stdin&gt;" for stdin).</summary>
    public string Name(ParseResult parse) => CliIO.NameOf(parse.GetValue(File));

    /// <summary>
    /// Reads the input, optionally listing a multi-profile file's profiles first. <paramref name="keepTimeline"/>
    /// says that what follows uses each sample's time and thread (time-ordered output, flame charts, thread or
    /// time selection), so readers that aggregate by default (perf script) keep them.
    /// </summary>
    public (Profile Profile, Formats.ProfileFormat Format) Read(ParseResult parse, CliConsole console,
        Action<IReadOnlyList<Formats.ProfileEntry>?>? listProfiles = null, bool keepTimeline = false) =>
        CliIO.ReadProfile(console, parse.GetValue(File), parse.GetValue(From), parse.GetValue(Profile), listProfiles,
            parse.GetValue(StateRoot), Perf.Get(parse, keepTimeline), Nettrace.Get(parse));
}
