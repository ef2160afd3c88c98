#!/usr/bin/env python3
"""FlameKit end-to-end benchmark: generates deterministic inputs, builds FlameKit (Release,
ReadyToRun) and the C floor (folded-agg), then times each job side by side in one run and prints
seconds (median of --runs), MB/s, peak memory (max RSS of the process) and the ratio to the C floor.

    python3 bench/run.py                 # all jobs
    python3 bench/run.py --jobs svg-folded-100M,tiny --runs 5
    FLAMEKIT_BENCH_DATA=/tmp/bench-data python3 bench/run.py

Needs: python3, gcc, go (for the pprof generator), the .NET SDK. Inputs are cached in the data
directory (default bench/data, ignored by git); the first run spends a minute generating them.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GEN = os.path.join(HERE, "gen")


def sh(cmd, **kw):
    print("+ " + (cmd if isinstance(cmd, str) else " ".join(cmd)), file=sys.stderr)
    subprocess.run(cmd, check=True, shell=isinstance(cmd, str), **kw)


def run_once(argv, stdin_path=None):
    """Runs argv with stdout to /dev/null; returns (seconds, peak RSS in MB, exit code)."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if stdin_path:
        stdin.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"!! {' '.join(argv)} exited {code}: {err.strip()[:500]}", file=sys.stderr)
    return elapsed, ru.ru_maxrss / 1024.0, code


def measure(argv, runs, stdin_path=None):
    results = [run_once(argv, stdin_path) for _ in range(runs)]
    secs = statistics.median(r[0] for r in results)
    rss = max(r[1] for r in results)
    ok = all(r[2] == 0 for r in results)
    return secs, rss, ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("FLAMEKIT_BENCH_DATA", os.path.join(HERE, "data")))
    ap.add_argument("--runs", type=int, default=3, help="runs per job; the median is reported")
    ap.add_argument("--jobs", default="all", help="comma-separated job names, or 'all'")
    ap.add_argument("--no-build", action="store_true", help="reuse the published flamekit in the data dir")
    args = ap.parse_args()
    d = os.path.abspath(args.data)
    os.makedirs(d, exist_ok=True)

    def data(name):
        return os.path.join(d, name)

    # ---- inputs (deterministic, cached) ----
    if not os.path.exists(data("folded-100M.txt")):
        sh([sys.executable, os.path.join(GEN, "gen-folded.py"), "--size", "100M", "--out", data("folded-100M.txt")])
    if not os.path.exists(data("folded-wide-1M.txt")):
        sh([sys.executable, os.path.join(GEN, "gen-folded.py"), "--wide", "1000000", "--out", data("folded-wide-1M.txt")])
    if not os.path.exists(data("pprof-1M.pb.gz")):
        env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local")
        sh(["go", "build", "-o", data("gen-pprof"), "."], cwd=os.path.join(GEN, "gen-pprof"), env=env)
        sh([data("gen-pprof"), "-out", data("pprof-1M.pb.gz")])
    if not os.path.exists(data("goroutines-50M.txt")):
        env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local")
        with open(data("goroutines-50M.txt"), "wb") as out:
            subprocess.run(["go", "run", ".", "-mb", "50"], cwd=os.path.join(GEN, "gen-goroutines"), env=env, stdout=out, check=True)
    if not os.path.exists(data("perf-1G.txt")):
        sh([sys.executable, os.path.join(GEN, "gen-perf-script.py"), "--size", "1G", "--out", data("perf-1G.txt")])
    if not os.path.exists(data("trace-500M.json")):
        sh([sys.executable, os.path.join(GEN, "gen_trace.py"), "500M", data("trace-500M.json")])
    if not os.path.exists(data("tiny.folded")):
        with open(data("tiny.folded"), "w") as f:
            f.write("main;run;work 5\nmain;run;io 3\nmain;gc 1\n")
    # A .NET EventPipe trace of at least 200 MB (issue #5's memory check), recorded once (about 10 minutes):
    #   dotnet-trace collect -o nettrace-256M.nettrace --providers Microsoft-Windows-DotNETRuntime:0x200001:5,Microsoft-DotNETCore-SampleProfiler \
    #     -- dotnet tests/NettraceApp/bin/nettrace-app.dll 600 8
    # (GC events with sampled-allocation stacks plus the sample profiler: stacks on 8 busy threads; the size
    # depends on the machine's speed, 256 MB on 2 shared vCPUs).
    dotnet_trace = shutil.which("dotnet-trace") or data("tools/dotnet-trace")
    if "nettrace" in args.jobs or args.jobs == "all":
        if not os.path.exists(dotnet_trace):
            sh(["dotnet", "tool", "install", "--tool-path", data("tools"), "dotnet-trace", "--version", "10.0.750501"])
        if not os.path.exists(data("nettrace-256M.nettrace")):
            sh(["dotnet", "build", os.path.join(ROOT, "tests", "NettraceApp", "NettraceApp.csproj"), "-c", "Release",
                "-o", data("nettrace-app"), "--nologo", "-v", "q"])
            sh([dotnet_trace, "collect", "-o", data("nettrace-256M.nettrace"), "--providers",
                "Microsoft-Windows-DotNETRuntime:0x200001:5,Microsoft-DotNETCore-SampleProfiler",
                "--", "dotnet", data("nettrace-app/nettrace-app.dll"), "600", "8"], stdout=subprocess.DEVNULL)
    agg = data("folded-agg")
    if not os.path.exists(agg):
        sh(["gcc", "-O2", "-o", agg, os.path.join(GEN, "folded-agg.c")])

    # ---- FlameKit, as a user would install it: Release, ReadyToRun ----
    fk_dir = data("flamekit")
    if not args.no_build or not os.path.exists(os.path.join(fk_dir, "flamekit")):
        shutil.rmtree(fk_dir, ignore_errors=True)
        sh(["dotnet", "publish", os.path.join(ROOT, "src", "Cli", "FlameKit.Cli.csproj"), "-c", "Release",
            "-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", fk_dir, "--nologo", "-v", "q"])
    fk = os.path.join(fk_dir, "flamekit")

    jobs = [
        # name, input, flamekit argv, C floor argv (or None), target seconds (or ratio), note
        ("tiny", "tiny.folded", [fk, "svg", data("tiny.folded")], None, ("s", 0.2)),
        ("svg-folded-100M", "folded-100M.txt", [fk, "svg", data("folded-100M.txt")], [agg, "-q", data("folded-100M.txt")], ("x", 3.5)),
        ("convert-folded-100M", "folded-100M.txt", [fk, "convert", data("folded-100M.txt"), "--to", "folded"], [agg, "-q", data("folded-100M.txt")], None),
        ("svg-folded-wide-1M", "folded-wide-1M.txt", [fk, "svg", data("folded-wide-1M.txt")], [agg, "-q", data("folded-wide-1M.txt")], ("s", 5.0)),
        ("svg-pprof-1M", "pprof-1M.pb.gz", [fk, "svg", data("pprof-1M.pb.gz")], ["gzip", "-dc", data("pprof-1M.pb.gz")], ("s", 2.5)),
        ("convert-goroutines-50M", "goroutines-50M.txt", [fk, "convert", data("goroutines-50M.txt"), "--to", "folded"], None, ("s", 0.5)),
        ("convert-perf-1G", "perf-1G.txt", [fk, "convert", data("perf-1G.txt"), "--to", "folded"], [agg, "-q", "-m", "perf", data("perf-1G.txt")], ("s", 2.5)),
        # Memory target: peak RSS below half the input size (issue 4).
        ("convert-trace-500M-speedscope", "trace-500M.json", [fk, "convert", data("trace-500M.json"), "--to", "speedscope"], None, ("rss", 0.5)),
        # Reference: dotnet-trace's own conversion (TraceLog .etlx, then speedscope). Target: peak memory below the trace's size.
        ("convert-nettrace-256M", "nettrace-256M.nettrace", [fk, "convert", data("nettrace-256M.nettrace"), "--to", "speedscope"],
         [dotnet_trace, "convert", "--format", "Speedscope", "-o", data("nettrace-256M.dotnet-trace"), data("nettrace-256M.nettrace")], ("rss", 1.0)),
        ("convert-pprof-1M-folded", "pprof-1M.pb.gz", [fk, "convert", data("pprof-1M.pb.gz"), "--to", "folded"], ["gzip", "-dc", data("pprof-1M.pb.gz")], ("s", 2.5)),
    ]
    wanted = None if args.jobs == "all" else set(args.jobs.split(","))
    rows = []
    for name, inp, argv, floor, target in jobs:
        if wanted and name not in wanted:
            continue
        size_mb = os.path.getsize(data(inp)) / 1e6
        run_once(argv)  # warm the page cache and the disk
        secs, rss, ok = measure(argv, args.runs)
        fsecs = frss = None
        if floor:
            fsecs, frss, _ = measure(floor, args.runs)
        verdict = ""
        if target:
            kind, limit = target
            if kind == "s":
                verdict = ("PASS" if ok and secs <= limit else "MISS") + f" (target < {limit} s)"
            elif kind == "rss":
                # rss is MiB (ru_maxrss / 1024), the input size decimal MB.
                verdict = ("PASS" if ok and rss * 1.048576 <= limit * size_mb else "MISS") + f" (target peak < {limit:g} x input)"
            elif fsecs:
                verdict = ("PASS" if ok and secs <= limit * fsecs else "MISS") + f" (target < {limit}x floor)"
        rows.append((name, size_mb, secs, size_mb / secs if secs else 0, rss, fsecs, frss, secs / fsecs if fsecs else None, ok, verdict))

    print()
    print(f"{'job':26} {'input MB':>9} {'flamekit s':>10} {'MB/s':>8} {'peak MB':>8} {'floor s':>8} {'floor MB':>8} {'ratio':>6}  verdict")
    for name, size_mb, secs, mbs, rss, fsecs, frss, ratio, ok, verdict in rows:
        f = lambda v, fmt: (fmt % v) if v is not None else "-"
        print(f"{name:26} {size_mb:9.1f} {secs:10.3f} {mbs:8.1f} {rss:8.1f} {f(fsecs, '%8.3f'):>8} {f(frss, '%8.1f'):>8} {f(ratio, '%6.2f'):>6}  {verdict if ok else 'FAILED'}")
    print()
    print("floor: folded-agg (C, one thread) for folded inputs, folded-agg -m perf for perf script; gzip -dc for pprof inputs; dotnet-trace convert for the nettrace job. Peak = max RSS.")


if __name__ == "__main__":
    main()
