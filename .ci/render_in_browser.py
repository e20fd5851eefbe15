#!/usr/bin/env python3
"""Renders the pictures of the given bundles in a real browser (headless Chromium).

Usage: render_in_browser.py --mermaid MERMAID_MIN_JS [--out DIR] BUNDLE_DIR...

- Every ```mermaid block of every bundle README, runbook and report is parsed and drawn by
  Mermaid itself (its `dist/mermaid.min.js`, loaded from disk into one page): each must
  parse (`mermaid.parse`), render (`mermaid.render`) and give a drawing with a non-empty
  bounding box. The page writes each block's result into the DOM, which `--dump-dom` prints.
- Every `.svg` file of every bundle is shown as an image (as a pull request shows it) on a
  page whose background is magenta, and screenshotted at the size its root element states:
  the PNG must have exactly that size, no magenta left (the picture covers its box), more
  than a few colours, and some ink (not a flat or almost blank image).

Chromium is `$CHROMIUM`, else `chromium` on PATH (Debian's package). Screenshots are kept in
`--out` (default: a temporary folder, removed). Prints one line per picture and block, the
counts and the time taken; exits 1 on any failure, 2 when a tool is missing.
"""

import argparse
import html
import json
import os
import pathlib
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zlib

# The one reader of fenced Markdown blocks, shared with the shellcheck step.
from shellcheck_bundles import fenced_blocks

RESULT = re.compile(r'<pre id="result">(.*?)</pre>', re.S)
MAGENTA = (255, 0, 255)
TIMEOUT = 120


def documents(bundle):
    readme = bundle / "README.md"
    if readme.is_file():
        yield readme
    for folder in ("runbooks", "reports"):
        yield from sorted((bundle / folder).glob("*.md"))


def run_chromium(chromium, profile, args):
    """Runs headless Chromium; its whole process group is killed on a timeout."""
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--force-device-scale-factor=1",
        f"--user-data-dir={profile}",
        *args,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        raise RuntimeError(f"chromium timed out after {TIMEOUT} s: {' '.join(args)}")
    return process.returncode, out, err


MERMAID_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>mermaid blocks</title></head>
<body>
<pre id="result">pending</pre>
<div id="stage"></div>
<script src="{script}"></script>
<script>
const blocks = {blocks};
(async () => {{
  const results = [];
  mermaid.initialize({{ startOnLoad: false, securityLevel: "strict" }});
  for (let i = 0; i < blocks.length; i++) {{
    try {{
      await mermaid.parse(blocks[i]);
      const {{ svg }} = await mermaid.render("block" + i, blocks[i]);
      const holder = document.createElement("div");
      holder.innerHTML = svg;
      document.getElementById("stage").appendChild(holder);
      const drawing = holder.querySelector("svg");
      const box = drawing.getBBox();
      const text = drawing.textContent;
      holder.remove();
      if (!(box.width > 0 && box.height > 0)) {{
        throw new Error("an empty drawing (" + box.width + " x " + box.height + ")");
      }}
      // A mark drawn far outside the chart (a Gantt's "today" line, decades from tasks
      // dated from 0) makes a drawing millions of pixels wide.
      if (box.width > 100000 || box.height > 100000) {{
        throw new Error("a drawing of " + Math.round(box.width) + " x " + Math.round(box.height) + " px: something is drawn far outside the chart");
      }}
      if (/Syntax error/i.test(text)) {{
        throw new Error("Mermaid drew its syntax error picture");
      }}
      results.push({{ ok: true, width: Math.round(box.width), height: Math.round(box.height), bytes: svg.length }});
    }} catch (e) {{
      results.push({{ ok: false, error: String((e && e.message) || e) }});
    }}
  }}
  document.getElementById("result").textContent = "RESULT " + JSON.stringify(results);
}})().catch((e) => {{
  document.getElementById("result").textContent = "FATAL " + String((e && e.stack) || e);
}});
</script>
</body></html>
"""


def check_mermaid(chromium, profile, work, script, bundles):
    """Every Mermaid block, drawn by Mermaid in one page. Returns (blocks, failures)."""
    blocks = []
    for bundle in bundles:
        for document in documents(bundle):
            for line, body in fenced_blocks(document.read_text(encoding="utf-8"), ("mermaid",)):
                blocks.append((f"{document}:{line}", body))
    if not blocks:
        return 0, []
    # JSON inside a script element: no "</" may end it early.
    data = json.dumps([body for _, body in blocks]).replace("</", "<\\/").replace("<!--", "<\\!--")
    page = work / "mermaid.html"
    page.write_text(
        MERMAID_PAGE.format(script=pathlib.Path(script).resolve().as_uri(), blocks=data),
        encoding="utf-8",
    )
    code, out, err = run_chromium(
        chromium,
        profile,
        ["--allow-file-access-from-files", "--virtual-time-budget=60000", "--dump-dom", page.as_uri()],
    )
    match = RESULT.search(out)
    if code != 0 or not match:
        return len(blocks), [f"mermaid page: chromium exited {code}, no result in the DOM\n{err[-2000:]}"]
    result = html.unescape(match.group(1))
    if not result.startswith("RESULT "):
        return len(blocks), [f"mermaid page: {result[:2000]}"]
    results = json.loads(result[len("RESULT "):])
    if len(results) != len(blocks):
        return len(blocks), [f"mermaid page: {len(results)} results for {len(blocks)} blocks"]
    failures = []
    for (where, body), r in zip(blocks, results):
        kind = body.split(None, 1)[0] if body.strip() else "?"
        if r["ok"]:
            print(f"ok   mermaid {kind:<9} {where} ({r['width']} x {r['height']}, {r['bytes']} bytes of SVG)")
        else:
            print(f"FAIL mermaid {kind:<9} {where}: {r['error']}")
            failures.append(f"{where}: {r['error']}")
    return len(blocks), failures


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unexpected PNG format: depth {depth}, colour type {colour}, interlace {interlace}")
    step = 3 if colour == 2 else 4
    stride = width * step
    raw = zlib.decompress(b"".join(idat))
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(step, stride):
                line[i] = (line[i] + line[i - step]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - step] if i >= step else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - step] if i >= step else 0
                b = previous[i]
                c = previous[i - step] if i >= step else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + predictor) & 0xFF
        rows.append([tuple(line[i : i + 3]) for i in range(0, stride, step)])
        previous = line
    return width, height, rows


def svg_size(path):
    root = ET.parse(path).getroot()
    if root.tag != "{http://www.w3.org/2000/svg}svg":
        raise ValueError(f"the root element is {root.tag}, not svg")
    try:
        return int(float(root.get("width"))), int(float(root.get("height")))
    except (TypeError, ValueError):
        raise ValueError("the root element has no width and height in pixels")


def check_svg(chromium, profile, work, out, svg):
    """Screenshots one SVG as an image; returns a failure message or None."""
    try:
        width, height = svg_size(svg)
    except (ET.ParseError, ValueError) as e:
        return f"{svg}: {e}"
    page = work / "image.html"
    page.write_text(
        "<!doctype html><html><head><meta charset=\"utf-8\"><style>"
        "html,body{margin:0;padding:0;background:#ff00ff;overflow:hidden}img{display:block}"
        f"</style></head><body><img src=\"{svg.resolve().as_uri()}\" width=\"{width}\" height=\"{height}\" alt=\"\">"
        "</body></html>",
        encoding="utf-8",
    )
    shot = out / (svg.parent.parent.name + "--" + svg.name.replace(".svg", ".png"))
    if shot.exists():
        shot.unlink()
    # Headless Chromium lays out a window under about 200 px high short of its size: the
    # window is at least 400 x 400, and what lies beyond the picture must stay magenta.
    window = (max(width, 400), max(height, 400))
    code, _, err = run_chromium(
        chromium,
        profile,
        [f"--window-size={window[0]},{window[1]}", f"--screenshot={shot}", page.as_uri()],
    )
    if code != 0 or not shot.is_file():
        return f"{svg}: no screenshot (chromium exited {code})\n{err[-2000:]}"
    w, h, rows = png_pixels(shot)
    if (w, h) != window:
        return f"{svg}: the screenshot is {w} x {h}, the window {window[0]} x {window[1]}"
    counts, outside = {}, 0
    for y, row in enumerate(rows):
        for x, pixel in enumerate(row):
            if x < width and y < height:
                counts[pixel] = counts.get(pixel, 0) + 1
            elif pixel != MAGENTA:
                outside += 1
    if outside:
        return f"{svg}: {outside} pixels drawn outside the picture's {width} x {height} box"
    total = width * height
    background = max(counts.values())
    magenta = counts.get(MAGENTA, 0)
    ink = total - background
    seen = (
        f"{svg} ({width} x {height}, {svg.stat().st_size} bytes) -> {shot.name} "
        f"({shot.stat().st_size} bytes, {len(counts)} colours, {100 * ink / total:.1f}% ink)"
    )
    if magenta:
        return f"{seen}: {magenta} pixels of the page show through: the picture did not cover its box (not drawn?)"
    if len(counts) < 8:
        return f"{seen}: {len(counts)} colour(s) only: a flat picture"
    if ink < total // 100:
        return f"{seen}: under 1% of the pixels differ from the background: nearly blank"
    print(f"ok   svg {seen}")
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mermaid", required=True, help="path to mermaid's dist/mermaid.min.js")
    parser.add_argument("--out", help="folder for the screenshots (kept)")
    parser.add_argument("bundles", nargs="+")
    args = parser.parse_args()
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not chromium:
        print("chromium is not on PATH (apt-get install chromium)", file=sys.stderr)
        return 2
    if not pathlib.Path(args.mermaid).is_file():
        print(f"{args.mermaid}: no such file (npm install mermaid)", file=sys.stderr)
        return 2
    began = time.monotonic()
    bundles = [pathlib.Path(b) for b in args.bundles]
    with tempfile.TemporaryDirectory() as temp:
        temp = pathlib.Path(temp)
        out = pathlib.Path(args.out) if args.out else temp / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        profile = temp / "profile"
        failures = []
        svgs = sorted(svg for bundle in bundles for svg in bundle.rglob("*.svg"))
        for svg in svgs:
            failure = check_svg(chromium, profile, temp, out, svg)
            if failure:
                print(f"FAIL svg {failure}")
                failures.append(failure)
        drawn = time.monotonic()
        blocks, mermaid_failures = check_mermaid(chromium, profile, temp, args.mermaid, bundles)
        failures += mermaid_failures
    done = time.monotonic()
    print(
        f"{len(svgs)} SVG files ({drawn - began:.1f} s) and {blocks} Mermaid blocks "
        f"({done - drawn:.1f} s) of {len(bundles)} bundles rendered in Chromium in "
        f"{done - began:.1f} s; {len(failures)} failures"
    )
    if not svgs:
        print("no SVG file in any bundle: the timeline picture is missing", file=sys.stderr)
        return 1
    if failures:
        for failure in failures:
            print(f"FAIL {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
