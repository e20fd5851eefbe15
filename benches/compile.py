#!/usr/bin/env python3
"""cutover compile benchmark, run by hand (not part of CI's pass/fail):

    python3 benches/compile.py [N ...]        # default: 10 100 1000 5000

For each N it generates a spec with N services (examples/gen-spec.rs), then measures in one
run, on this machine:
  - compile: `cutover compile` wall time (median of the runs) and peak RSS;
  - floor:   `cp -r` of the bundle compile wrote, into a fresh directory (median);
  - own validation: `cutover verify` of the spec against that bundle (median);
  - kubernetes-validate: `kubernetes-validate --strict` over the same bundle's built-in
    objects (one run; the usual way a team checks such output), if it is installed.
It prints a table and writes it to BENCHMARKS.md.
"""

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "cutover")
SAMPLE = 2000


def run(args, **kwargs):
    """Runs a command; returns (wall seconds, peak RSS in KiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0,):
        raise SystemExit(f"{' '.join(args)} failed ({code}):\n{stderr}")
    return elapsed, usage.ru_maxrss


def builtin_objects(bundle):
    files = []
    for folder, _, names in os.walk(os.path.join(bundle, "manifests")):
        for name in names:
            if name == "kustomization.yaml":
                continue
            path = os.path.join(folder, name)
            with open(path) as f:
                head = f.readline()
            if "istio.io" in head or "gateway.networking.k8s.io" in head:
                continue
            files.append(path)
    return sorted(files)


def bench(n, work):
    spec = os.path.join(work, f"spec-{n}.yaml")
    subprocess.run(["cargo", "run", "--release", "--quiet", "--example", "gen-spec", "--", "--services", str(n), "-o", spec], cwd=ROOT, check=True)
    runs = 3 if n <= 1000 else 2
    compile_times, peaks, floors, verifies = [], [], [], []
    # Every run writes into fresh directories and nothing is deleted until the end: creating
    # files right after deleting thousands is much slower on ext4 (it skips recently freed
    # inodes), and that must not fall on one side of the comparison only.
    outputs = []
    for i in range(runs):
        bundle = os.path.join(work, f"bundle-{n}-{i}")
        # Start each timed step with no dirty pages: otherwise `cp` competes with the
        # writeback of the bundle compile just wrote, and the floor swings by 10x.
        os.sync()
        elapsed, peak = run([BINARY, "compile", spec, "-o", bundle])
        compile_times.append(elapsed)
        peaks.append(peak)
        copy = os.path.join(work, f"copy-{n}-{i}")
        os.sync()
        elapsed, _ = run(["cp", "-r", bundle, copy])
        floors.append(elapsed)
        elapsed, _ = run([BINARY, "verify", spec, bundle])
        verifies.append(elapsed)
        outputs += [bundle, copy]
    files = sum(len(f) for _, _, f in os.walk(bundle))
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(bundle) for f in fs)
    k8s_validate = None
    objects = builtin_objects(bundle)
    sampled = len(objects)
    if shutil.which("kubernetes-validate"):
        # kubernetes-validate checks about 50 objects a second here: above SAMPLE objects it
        # validates an even sample and scales the time by the object count (marked "est.").
        sample = objects if len(objects) <= SAMPLE else objects[:: len(objects) // SAMPLE][:SAMPLE]
        sampled = len(sample)
        started = time.perf_counter()
        for start in range(0, len(sample), 1000):
            subprocess.run(["kubernetes-validate", "--strict", "--quiet", "-k", "1.31.0", *sample[start:start + 1000]], check=True, stdout=subprocess.DEVNULL)
        k8s_validate = (time.perf_counter() - started) * len(objects) / len(sample)
    for path in outputs:
        shutil.rmtree(path, ignore_errors=True)
    return {
        "n": n,
        "files": files,
        "mib": size / 1024 / 1024,
        "objects": len(objects),
        "compile": statistics.median(compile_times),
        "rss": max(peaks) / 1024,
        "floor": statistics.median(floors),
        "verify": statistics.median(verifies),
        "k8s": k8s_validate,
        "estimated": sampled < len(objects),
    }


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10, 100, 1000, 5000]
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(prefix="cutover-bench-") as work:
        rows = [bench(n, work) for n in sizes]
    base = next((r for r in rows if r["n"] == 1000), None)
    header = "| services | files | MiB | objects | compile (s) | peak RSS (MiB) | `cp -r` floor (s) | compile / floor | vs N=1,000 | compile + verify (s) | kubernetes-validate (s) | speed-up |"
    lines = [header, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        own = r["compile"] + r["verify"]
        lines.append(
            f"| {r['n']:,} | {r['files']:,} | {r['mib']:.1f} | {r['objects']:,} | {r['compile']:.3f} | {r['rss']:.0f} | {r['floor']:.3f} | "
            f"{r['compile'] / r['floor']:.2f}× | {r['compile'] / base['compile']:.2f}× | {own:.3f} | "
            + (f"{r['k8s']:.1f}{' (est.)' if r['estimated'] else ''} | {r['k8s'] / own:.0f}× |" if r["k8s"] else "- | - |")
            if base else ""
        )
    table = "\n".join(lines)
    print(table)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write(
            "# Benchmarks\n\n"
            "`python3 benches/compile.py` (by hand; not part of CI) generates a spec with N services "
            "(`cargo run --release --example gen-spec -- --services N`: four waves of three steps, "
            "storage of every type, DNS and data) and measures the release build on this machine "
            f"({machine}). Compile and `cp -r` write to the same disk; times are medians, RSS the peak.\n\n"
            + table + "\n\n"
            "Targets: N = 1,000 within 3× the `cp -r` floor and under 256 MiB; N = 5,000 at most 6× "
            "the N = 1,000 time; compile plus cutover's own validation (`cutover verify`, which compiles "
            "again and compares every file) at least 50× faster than `kubernetes-validate --strict` "
            "over the same bundle's built-in objects.\n\n"
            "`cargo bench --bench overlap` checks 100,000 routes and other clusters' CIDRs for overlap "
            "(target: under 200 ms); its last result is below.\n"
        )


if __name__ == "__main__":
    main()
