#!/usr/bin/env python3
"""Regenerate fixtures/svg/ from the shared reference corpus (flamegraph.pl outputs whose inputs are ours).

Usage: make-fixtures.py [CORPUS_OTHER_DIR]   (default /work/shared/corpus/other)

Writes fixtures/svg/inputs/<input>.folded, fixtures/svg/expected/<case>.json (svg2json.py of the reference
SVG) and fixtures/svg/cases.tsv: case, input, flamegraph.pl flags (one line per reference SVG), and prints
the README lines. The reference SVGs are not copied (they embed flamegraph.pl's script).
"""
import os
import re
import shlex
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svg2json  # noqa: E402

corpus = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpus/other"
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
out = os.path.join(root, "fixtures", "svg")
os.makedirs(os.path.join(out, "inputs"), exist_ok=True)
os.makedirs(os.path.join(out, "expected"), exist_ok=True)

commands = []
for f in ("ref-svg/COMMANDS.txt", "perf/COMMANDS.txt"):
    for line in open(os.path.join(corpus, f), encoding="utf-8"):
        if line.startswith("perl peers/FlameGraph/flamegraph.pl") and ".svg" in line:
            commands.append(line.rstrip("\n"))

wanted = re.compile(r'^(ref-svg/edge-[^/]*\.svg|ref-svg/diff/edge\.diff[^/]*\.svg|perf/[^/]*\.hash\.svg)$')
cases = []
for cmd in commands:
    argv = shlex.split(cmd.split(" > ")[0])[2:]
    target = cmd.split(" > ")[1].strip()
    if not wanted.match(target):
        continue
    inp, flags = argv[-1], argv[:-1]
    name = os.path.basename(target)[:-4]
    in_name = os.path.basename(inp)
    if not in_name.endswith(".folded"):
        in_name = os.path.splitext(in_name)[0] + ".folded"
    shutil.copyfile(os.path.join(corpus, inp), os.path.join(out, "inputs", in_name))
    data = open(os.path.join(corpus, target), "rb").read()
    svg2json.write(svg2json.extract(data), os.path.join(out, "expected", name + ".json"))
    cases.append((name, in_name, flags, cmd))

cases.sort()
with open(os.path.join(out, "cases.tsv"), "w", encoding="utf-8") as f:
    f.write("# case\tinput (fixtures/svg/inputs/)\tflamegraph.pl flags (shell-quoted)\n")
    for name, in_name, flags, _ in cases:
        f.write(f"{name}\t{in_name}\t{' '.join(shlex.quote(x) for x in flags)}\n")
for name, in_name, flags, cmd in cases:
    print(f"| `{name}` | `inputs/{in_name}` | `{cmd}` |")
