#!/usr/bin/env python3
"""cutover diff benchmark, run by hand (not part of CI's pass/fail):

    python3 benches/diff.py [--services N] [--runs R] [--no-build]   # default: 5000, 1 run

It builds the release binary, generates a spec with N services (examples/gen-spec.rs) and a
copy with one small change (the first service's replicas), compiles three bundles (A and B
from the same spec, C from the changed one), then measures on this machine:
  - `cutover diff A B`: two identical bundles;
  - `cutover diff A C`: one changed object;
each as wall time and peak RSS (the process's own, from wait4), the median of R runs.
Targets: both within 3 s and 512 MiB at N = 5,000. Record the result in BENCHMARKS.md.
"""

import argparse
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "cutover")


def run(args, expect):
    """Runs a command; returns (wall seconds, peak RSS in KiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in expect:
        raise SystemExit(f"{' '.join(args)} exited {code}:\n{stderr}")
    return elapsed, usage.ru_maxrss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-build", action="store_true", help="use the release binaries as they are")
    options = parser.parse_args()
    n = options.services
    if not options.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "cutover", "--example", "gen-spec"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(prefix="cutover-diff-bench-") as work:
        spec = os.path.join(work, "spec.yaml")
        changed = os.path.join(work, "changed.yaml")
        subprocess.run([os.path.join(ROOT, "target", "release", "examples", "gen-spec"), "--services", str(n), "-o", spec], check=True)
        with open(spec) as f:
            text = f.read()
        if "replicas: 3" not in text:
            raise SystemExit("the generated spec has no `replicas: 3` to change")
        with open(changed, "w") as f:
            f.write(text.replace("replicas: 3", "replicas: 4", 1))
        bundles = {}
        for name, source in [("A", spec), ("B", spec), ("C", changed)]:
            bundles[name] = os.path.join(work, name)
            run([BINARY, "compile", source, "-o", bundles[name]], expect=(0,))
        rows = []
        for label, other, expect in [("identical (A B)", "B", (0,)), ("one change (A C)", "C", (3,))]:
            times, peaks = [], []
            for _ in range(options.runs):
                os.sync()
                elapsed, peak = run([BINARY, "diff", bundles["A"], bundles[other]], expect=expect)
                times.append(elapsed)
                peaks.append(peak)
            rows.append((label, statistics.median(times), max(peaks) / 1024))
        print(f"| bundles ({n:,} services) | diff (s) | peak RSS (MiB) |")
        print("| --- | ---: | ---: |")
        for label, seconds, mib in rows:
            print(f"| {label} | {seconds:.2f} | {mib:.0f} |")


if __name__ == "__main__":
    main()
