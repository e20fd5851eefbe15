"""Scan the manifests of cutover bundles with checkov, an independent policy scanner.

Usage: python3 .ci/checkov_bundles.py BASELINE.toml BUNDLE_DIR...

Every whole object under each bundle's manifests/ folder (the kustomize patches under
patches/ are partial objects, not scanned) goes through checkov's Kubernetes checks, offline
(--skip-download: no guideline download, no platform key). A failed check passes only when
the baseline accepts it: an `[[accepted]]` entry with its `check` id, the `why`, and
optionally `resources`, glob patterns over checkov's resource ids (`Kind.namespace.name`)
that narrow it. Exits non-zero on any other failure, and on a baseline entry that accepted
nothing (a stale entry hides the next real failure of the same check).
"""

import fnmatch
import json
import pathlib
import subprocess
import sys
import tomllib


def load_baseline(path: pathlib.Path):
    entries = tomllib.loads(path.read_text())["accepted"]
    for entry in entries:
        missing = {"check", "why"} - entry.keys()
        if missing:
            sys.exit(f"{path}: an accepted check lacks {sorted(missing)}: {entry}")
        if not entry["why"].strip():
            sys.exit(f"{path}: {entry['check']} is accepted without a reason")
    return entries


def accepting(entries, failure):
    for entry in entries:
        if entry["check"] != failure["check_id"]:
            continue
        patterns = entry.get("resources", ["*"])
        if any(fnmatch.fnmatchcase(failure["resource"], p) for p in patterns):
            return entry
    return None


def json_documents(text: str):
    """The JSON documents of checkov's output: one object per scanned folder, one after the
    other (or one list of them)."""
    decoder = json.JSONDecoder()
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return
        value, at = decoder.raw_decode(text, at)
        yield from value if isinstance(value, list) else [value]


def main() -> int:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    baseline = pathlib.Path(sys.argv[1])
    entries = load_baseline(baseline)
    passed = failed = 0
    unaccepted = []
    used = set()
    bundles = [pathlib.Path(b) for b in sys.argv[2:]]
    for bundle in bundles:
        folder = bundle / "manifests"
        if not folder.is_dir():
            sys.exit(f"{bundle}: no manifests/ folder")
        # One run a bundle: with several -d folders checkov adds each report to the next.
        run = subprocess.run(
            ["checkov", "--framework", "kubernetes", "--quiet", "--compact", "--skip-download",
             "--output", "json", "--directory", str(folder)],
            capture_output=True,
            text=True,
        )
        # checkov exits 1 when a check fails; anything else (or no JSON) is checkov failing.
        if run.returncode not in (0, 1):
            sys.stderr.write(run.stdout + run.stderr)
            return 1
        for report in json_documents(run.stdout):
            if report.get("check_type") != "kubernetes":
                continue
            passed += report["summary"]["passed"]
            for failure in report["results"].get("failed_checks", []):
                failed += 1
                entry = accepting(entries, failure)
                if entry is None:
                    unaccepted.append((bundle.name, failure))
                else:
                    used.add(id(entry))
    stale = [e for e in entries if id(e) not in used]
    print(f"checkov: {passed} passed, {failed} failed ({failed - len(unaccepted)} accepted "
          f"by {baseline.name}, {len(unaccepted)} not) over {len(bundles)} bundles")
    for bundle, failure in unaccepted:
        print(f"  {failure['check_id']} {failure['check_name']}: {failure['resource']} "
              f"({bundle}/manifests{failure['file_path']})")
    for entry in stale:
        print(f"  baseline entry {entry['check']} accepted nothing: remove it")
    return 1 if unaccepted or stale else 0


if __name__ == "__main__":
    sys.exit(main())
