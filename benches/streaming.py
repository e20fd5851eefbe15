#!/usr/bin/env python3
"""Speed and memory of the streaming pipeline, run by hand (not part of CI's pass/fail):

    python3 benches/streaming.py [--runs R] [--no-build] [--dir DIR] [--write]

It builds the release binary and generates specs of 1,000 and 5,000 services
(examples/gen-spec.rs), plus a copy of the 5,000-service spec with one change (the first
service's replicas). Then, in one run on this machine, with the protocol of BENCHMARKS.md
(every timed step writes into a fresh folder, `sync` before each, compile interleaved with
its `cp -r` floor), it measures wall time (median of R runs) and peak RSS (the largest, from
wait4) of:

  - compile of 1,000 and 5,000 services, and `cp -r` of the bundle each wrote (the floor);
  - verify of the 5,000-service bundle (current), and verify --quiet of a stale one;
  - diff of two 5,000-service bundles (identical, and one change), and of two specs;
  - check of the 6-service example (examples/piggymetrics.yaml), median of 50 runs.

Targets (issue 18): 1,000 services compile within 1.5x the floor; 5,000 services under
128 MiB peak RSS for compile, diff and verify; a diff of two 5,000-service bundles or specs
within 1.5x the compile time of one; check of the example under 5 ms.

With --write the table replaces the part of BENCHMARKS.md between its streaming markers.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile

from diff import run as run_kib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "cutover")
GEN = os.path.join(ROOT, "target", "release", "examples", "gen-spec")
START, END = "<!-- streaming:start -->", "<!-- streaming:end -->"


def run(args, expect=(0,)):
    """Runs a command; returns (wall seconds, peak RSS in MiB)."""
    seconds, kib = run_kib(args, expect)
    return seconds, kib / 1024


class Series:
    """Runs of one measurement: the median time, the largest peak."""

    def __init__(self):
        self.times, self.peaks = [], []

    def add(self, measured):
        self.times.append(measured[0])
        self.peaks.append(measured[1])

    @property
    def time(self):
        return statistics.median(self.times)

    @property
    def peak(self):
        return max(self.peaks)


def fresh(work, name, counter=[0]):
    counter[0] += 1
    return os.path.join(work, f"{name}-{counter[0]}")


def timed(args, expect=(0,)):
    os.sync()
    return run(args, expect)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--dir", help="where the bundles go (default: a temporary folder)")
    parser.add_argument("--write", action="store_true", help="record the table in BENCHMARKS.md")
    options = parser.parse_args()
    if not options.no_build:
        subprocess.run(
            ["cargo", "build", "--release", "--quiet", "--bin", "cutover", "--example", "gen-spec"],
            cwd=ROOT,
            check=True,
        )
    work = tempfile.mkdtemp(prefix="cutover-streaming-", dir=options.dir)
    try:
        rows = measure(work, options.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = "\n".join(
        ["| measurement | time (s) | peak RSS (MiB) | against | ratio |", "| --- | ---: | ---: | --- | ---: |"]
        + [
            f"| {label} | {seconds:.3f} | {mib:.0f} | {against} | {ratio} |"
            for label, seconds, mib, against, ratio in rows
        ]
    )
    print(table)
    if options.write:
        path = os.path.join(ROOT, "BENCHMARKS.md")
        with open(path) as f:
            text = f.read()
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        with open(path, "w") as f:
            f.write(f"{head}{START}\n{table}\n{END}{tail}")


def measure(work, runs):
    specs = {}
    for n in (1000, 5000):
        specs[n] = os.path.join(work, f"spec-{n}.yaml")
        subprocess.run([GEN, "--services", str(n), "-o", specs[n]], check=True)
    with open(specs[5000]) as f:
        text = f.read()
    changed = os.path.join(work, "changed-5000.yaml")
    with open(changed, "w") as f:
        f.write(text.replace("replicas: 3", "replicas: 4", 1))

    compiles = {n: Series() for n in specs}
    floors = {n: Series() for n in specs}
    bundles = {}
    for _ in range(runs):
        for n, spec in specs.items():
            bundle = fresh(work, f"bundle-{n}")
            compiles[n].add(timed([BINARY, "compile", spec, "-o", bundle, "--quiet"]))
            floors[n].add(timed(["cp", "-r", bundle, fresh(work, f"copy-{n}")]))
            bundles[n] = bundle

    a = bundles[5000]
    stale = fresh(work, "stale")
    run([BINARY, "compile", changed, "-o", stale, "--quiet"])
    verify, verify_quiet = Series(), Series()
    diff_same, diff_one, diff_specs_same, diff_specs_one = Series(), Series(), Series(), Series()
    for _ in range(runs):
        verify.add(timed([BINARY, "verify", specs[5000], a]))
        verify_quiet.add(timed([BINARY, "verify", specs[5000], stale, "--quiet"], expect=(3,)))
        diff_one.add(timed([BINARY, "diff", a, stale], expect=(3,)))
        diff_specs_same.add(timed([BINARY, "diff", specs[5000], specs[5000]]))
        diff_specs_one.add(timed([BINARY, "diff", specs[5000], changed], expect=(3,)))
    # A second bundle of the same spec for the identical diff: a file against itself would
    # be read once from the page cache.
    other = fresh(work, "bundle-5000-b")
    run([BINARY, "compile", specs[5000], "-o", other, "--quiet"])
    for _ in range(runs):
        diff_same.add(timed([BINARY, "diff", a, other]))

    example = os.path.join(ROOT, "examples", "piggymetrics.yaml")
    check = Series()
    for _ in range(50):
        check.add(run([BINARY, "check", example, "--quiet"]))

    c1, c5 = compiles[1000], compiles[5000]
    ratio = lambda x, y: f"{x / y:.2f}x"
    return [
        ("compile, 1,000 services", c1.time, c1.peak, "`cp -r` floor", ratio(c1.time, floors[1000].time)),
        ("`cp -r` of its bundle", floors[1000].time, floors[1000].peak, "", ""),
        ("compile, 5,000 services", c5.time, c5.peak, "`cp -r` floor", ratio(c5.time, floors[5000].time)),
        ("`cp -r` of its bundle", floors[5000].time, floors[5000].peak, "", ""),
        ("verify, 5,000 (current)", verify.time, verify.peak, "compile", ratio(verify.time, c5.time)),
        ("verify --quiet, 5,000 (stale)", verify_quiet.time, verify_quiet.peak, "compile", ratio(verify_quiet.time, c5.time)),
        ("diff of two 5,000 bundles, identical", diff_same.time, diff_same.peak, "compile", ratio(diff_same.time, c5.time)),
        ("diff of two 5,000 bundles, one change", diff_one.time, diff_one.peak, "compile", ratio(diff_one.time, c5.time)),
        ("diff of two 5,000 specs, identical", diff_specs_same.time, diff_specs_same.peak, "compile", ratio(diff_specs_same.time, c5.time)),
        ("diff of two 5,000 specs, one change", diff_specs_one.time, diff_specs_one.peak, "compile", ratio(diff_specs_one.time, c5.time)),
        ("check, piggymetrics (6 services)", check.time, check.peak, "5 ms", ratio(check.time, 0.005)),
    ]


if __name__ == "__main__":
    main()
