#!/usr/bin/env python3
"""Deterministic Chrome trace generator for memory/throughput benchmarks.

Writes a JSON array trace of about TARGET bytes: nested complete (X) events on several threads, and
B/E pairs on others, with process/thread name metadata. Same arguments, same bytes.

    python3 bench/gen/gen_trace.py 500M /tmp/bench-data/trace-500M.json
"""
import random
import sys


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * mult[s[-1].upper()]) if s[-1].upper() in mult else int(s)


def main():
    target = parse_size(sys.argv[1])
    out = sys.argv[2]
    rng = random.Random(42)
    names = [f"module{m}.function_{f}" for m in range(40) for f in range(25)]  # 1000 frame names
    threads = [(1, t) for t in range(1, 9)]  # pid 1, tids 1..8: tids 1-5 X events, 6-8 B/E pairs
    clock = {t: 0.0 for t in threads}
    written = 0
    with open(out, "w", buffering=1 << 22) as f:
        f.write("[\n")
        f.write('{"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":"bench"}},\n')
        for pid, tid in threads:
            f.write('{"name":"thread_name","ph":"M","pid":%d,"tid":%d,"args":{"name":"worker-%d"}},\n' % (pid, tid, tid))
        first = True
        while written < target:
            key = threads[rng.randrange(len(threads))]
            pid, tid = key
            # One call tree of depth 1..12 starting at this thread's clock; children nested inside parents.
            depth = rng.randint(1, 12)
            start = clock[key] + rng.randint(0, 5)
            stack = [names[rng.randrange(64)] if d == 0 else names[rng.randrange(len(names))] for d in range(depth)]
            total = depth * 20 + rng.randint(0, 400)
            lines = []
            if tid <= 5:
                # X events, written when they end (innermost first), as Chrome does.
                spans = []
                s, e = start, start + total
                for d in range(depth):
                    spans.append((s, e))
                    s, e = s + rng.randint(1, 9), e - rng.randint(1, 9)
                    if e <= s:
                        break
                for d in range(len(spans) - 1, -1, -1):
                    s, e = spans[d]
                    lines.append('{"name":"%s","cat":"bench","ph":"X","ts":%.3f,"dur":%.3f,"pid":%d,"tid":%d}' % (stack[d], s, e - s, pid, tid))
                end = spans[0][1]
            else:
                t = start
                for d in range(depth):
                    lines.append('{"name":"%s","cat":"bench","ph":"B","ts":%.3f,"pid":%d,"tid":%d}' % (stack[d], t, pid, tid))
                    t += rng.randint(1, 9)
                for d in range(depth - 1, -1, -1):
                    t += rng.randint(1, 9)
                    lines.append('{"ph":"E","ts":%.3f,"pid":%d,"tid":%d}' % (t, pid, tid))
                end = t
            clock[key] = end
            chunk = ",\n".join(lines)
            if not first:
                chunk = ",\n" + chunk
            first = False
            f.write(chunk)
            written += len(chunk)
        f.write("\n]\n")


if __name__ == "__main__":
    main()
