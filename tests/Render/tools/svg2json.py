#!/usr/bin/env python3
"""Extract the comparable content of a flamegraph.pl-style SVG (flamegraph.pl's own or FlameKit's) as JSON.

Usage: svg2json.py IN.svg [OUT.json]

Output: {"width", "height", "headers": {id: {"x", "y", "text"}}, "frames": [{"title", "x", "y", "width",
"height", "fill", "text"}]} with frames sorted (flamegraph.pl emits them in Perl hash order). Texts are
XML-unescaped. Works on bytes with a regex (flamegraph.pl's output is not always well-formed: it can cut a
UTF-8 sequence when truncating labels), decoding UTF-8 with replacement.
"""
import html
import json
import re
import sys

FRAME = re.compile(r'<g\b[^>]*>\s*<title>(.*?)</title>\s*<rect\b([^>]*?)/?>\s*<text\b([^>]*)>(.*?)</text>', re.S)
HEADER = re.compile(r'<text\b([^>]*\bid="(title|subtitle|details|unzoom|search|ignorecase|matched)"[^>]*)>(.*?)</text>', re.S)
ATTR = re.compile(r'([\w:-]+)="([^"]*)"')
SVG = re.compile(r'<svg\b([^>]*)>')


def attrs(s):
    return {k: html.unescape(v) for k, v in ATTR.findall(s)}


def num(v):
    return round(float(v), 2)


def extract(data):
    text = data.decode("utf-8", errors="replace")
    text = re.sub(r'<script\b.*?</script>', '', text, flags=re.S)
    svg = attrs(SVG.search(text).group(1))
    out = {"width": num(svg["width"]), "height": num(svg["height"]), "headers": {}, "frames": []}
    for a, hid, body in HEADER.findall(text):
        at = attrs(a)
        out["headers"][hid] = {"x": num(at["x"]), "y": num(at["y"]), "text": html.unescape(body)}
    frames_part = text.split('<g id="frames"', 1)[1] if '<g id="frames"' in text else ""
    for title, rect, _t, label in FRAME.findall(frames_part):
        r = attrs(rect)
        out["frames"].append({
            "title": html.unescape(title), "x": num(r["x"]), "y": num(r["y"]), "width": num(r["width"]),
            "height": num(r["height"]), "fill": r["fill"], "text": html.unescape(label)})
    out["frames"].sort(key=lambda f: (f["y"], f["x"], f["title"], f["width"]))
    if not out["frames"]:
        m = re.search(r'<text\b[^>]*>(ERROR[^<]*)</text>', text)
        if m:
            out["error"] = html.unescape(m.group(1))
    return out


def dumps(doc):
    """JSON with one frame per line (small, diffable)."""
    head = {k: v for k, v in doc.items() if k != "frames"}
    lines = ["{", ' "meta": ' + json.dumps(head, ensure_ascii=False, sort_keys=True) + ",", ' "frames": [']
    frames = [json.dumps(f, ensure_ascii=False, sort_keys=True) for f in doc["frames"]]
    lines += ["  " + f + ("," if i + 1 < len(frames) else "") for i, f in enumerate(frames)]
    lines += [" ]", "}"]
    return "\n".join(lines) + "\n"


def write(doc, path):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(dumps(doc))


def main():
    doc = extract(open(sys.argv[1], "rb").read())
    if len(sys.argv) > 2:
        write(doc, sys.argv[2])
    else:
        sys.stdout.write(dumps(doc))


if __name__ == "__main__":
    main()
