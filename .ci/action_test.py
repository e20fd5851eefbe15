#!/usr/bin/env python3
"""Runs action.yml, the composite GitHub Action, as GitHub's runner runs it, on repositories
made here: no GitHub, no network.

Usage: action_test.py CUTOVER   (from the checkout's root; CUTOVER: the binary to put on PATH)

Each `run:` step runs under `bash --noprofile --norc -eo pipefail`, as `shell: bash` does,
with GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY, RUNNER_TEMP and GITHUB_ACTION_PATH; a
step's `if:` and the `${{ }}` in its `env:` and `with:` are evaluated (the subset action.yml
uses: inputs, step outputs and github values compared with == and != and joined with &&;
anything else stops this script, so that it cannot silently skip a step). A `uses:` step is
not run: its resolved `with:` is recorded and checked. The first failing step ends the run, as
on GitHub. Also refused: a `${{ }}` inside a `run:` script (a value a pull request controls
must reach a script through `env:`, never be pasted into it), and any shellcheck finding in a
`run:` script.

The scenarios: a pull request that changes one spec and adds another; one that breaks a spec
and leaves a bundle stale (the job fails after the SARIF upload and the comment); uploads,
comments and verification turned off; no spec at all; a push (no diff).
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

try:
    from ruamel.yaml import YAML

    def load_yaml(text):
        return YAML(typ="safe").load(text)

except ImportError:  # pragma: no cover - PyYAML as a fallback
    import yaml

    def load_yaml(text):
        return yaml.safe_load(text)


EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CLAUSE = re.compile(r"^([a-z_]+(?:\.[A-Za-z0-9_-]+)*)\s*(==|!=)\s*'([^']*)'$")
REFERENCE = re.compile(r"^[a-z_]+(?:\.[A-Za-z0-9_-]+)*$")


class Unsupported(Exception):
    pass


def lookup(reference, context):
    """The value of `inputs.x`, `steps.id.outputs.x` or `github.x`: '' when absent."""
    if not REFERENCE.match(reference):
        raise Unsupported(f"expression not understood here: {reference}")
    parts = reference.split(".")
    value = context
    for part in parts:
        if not isinstance(value, dict):
            return ""
        value = value.get(part, "")
    if isinstance(value, dict):
        raise Unsupported(f"not a value: {reference}")
    return str(value)


def condition(text, context):
    """An `if:`: clauses `reference == 'literal'` or `!=`, joined with &&."""
    text = EXPRESSION.sub(lambda m: m.group(1), str(text)).strip()
    for clause in text.split("&&"):
        match = CLAUSE.match(clause.strip())
        if not match:
            raise Unsupported(f"condition not understood here: {clause.strip()}")
        reference, operator, literal = match.groups()
        equal = lookup(reference, context) == literal
        if equal != (operator == "=="):
            return False
    return True


def render(value, context):
    return EXPRESSION.sub(lambda m: lookup(m.group(1), context), str(value))


def shellcheck(action):
    findings = 0
    for index, step in enumerate(action["runs"]["steps"]):
        script = step.get("run")
        if script is None:
            continue
        name = step.get("name", f"step {index + 1}")
        if "${{" in script:
            print(f"action.yml, {name}: a ${{{{ }}}} expression in a run script: pass it through env:")
            findings += 1
        if step.get("shell") != "bash":
            print(f"action.yml, {name}: every run step says shell: bash")
            findings += 1
        result = subprocess.run(
            ["shellcheck", "--shell=bash", "--format=gcc", "-"],
            input=script,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            for line in result.stdout.splitlines():
                print(f"action.yml, {name}: {line.removeprefix('-:')}")
            findings += 1
    return findings


def read_outputs(path):
    outputs = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
    return outputs


class Run:
    """One run of the action: its steps' outcomes, the `uses:` calls and the exit code."""

    def __init__(self, action, checkout, repo, inputs, github, path):
        self.skipped, self.ran, self.calls, self.logs = [], [], {}, {}
        self.failed = None
        defaults = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
        unknown = set(inputs) - set(defaults)
        if unknown:
            raise Unsupported(f"inputs the action does not declare: {unknown}")
        context = {"inputs": {**defaults, **inputs}, "steps": {}, "github": github}
        self.context = context
        temp = pathlib.Path(tempfile.mkdtemp(prefix="runner-temp-"))
        self.summary = temp / "step-summary.md"
        self.summary.touch()
        extra_path = []
        for index, step in enumerate(action["runs"]["steps"]):
            name = step.get("name", f"step {index + 1}")
            if "if" in step and not condition(step["if"], context):
                self.skipped.append(name)
                continue
            step_id = step.get("id")
            if "uses" in step:
                self.calls[step["uses"]] = {
                    k: render(v, context) for k, v in step.get("with", {}).items()
                }
                self.ran.append(name)
                continue
            files = {key: temp / f"{index}-{key}" for key in ("output", "path")}
            for file in files.values():
                file.touch()
            env = {
                **os.environ,
                "PATH": os.pathsep.join(extra_path + [path, os.environ["PATH"]]),
                "RUNNER_TEMP": str(temp),
                "GITHUB_OUTPUT": str(files["output"]),
                "GITHUB_PATH": str(files["path"]),
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "GITHUB_ACTION_PATH": str(checkout),
                **{k: render(v, context) for k, v in step.get("env", {}).items()},
            }
            script = temp / f"{index}.sh"
            script.write_text(step["run"])
            result = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=repo,
                env=env,
                capture_output=True,
                text=True,
            )
            self.logs[name] = result.stdout + result.stderr
            self.ran.append(name)
            extra_path = files["path"].read_text().split() + extra_path
            if step_id:
                context["steps"][step_id] = {"outputs": read_outputs(files["output"])}
            if result.returncode != 0:
                self.failed = (name, result.returncode)
                break

    def outputs(self, step_id):
        return self.context["steps"].get(step_id, {}).get("outputs", {})


def git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def compile_spec(cutover, repo, spec):
    subprocess.run(
        [cutover, "compile", "--quiet", spec, "-o", spec.rsplit(".", 1)[0]],
        cwd=repo,
        check=True,
    )


def make_repo(root, cutover):
    """A repository whose `main` (pushed to a bare `origin`) holds two specs and their
    bundles, checked out on a branch `pr`."""
    origin = root / "origin.git"
    repo = root / "repo"
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    (repo / "migrations").mkdir(parents=True)
    minimal = pathlib.Path("examples/minimal.yaml").read_text()
    (repo / "migrations/shop.yaml").write_text(minimal)
    (repo / "migrations/blog.yaml").write_text(minimal.replace("replicas: 3", "replicas: 2"))
    (repo / "migrations/cutover.toml").write_text('[rules]\n"workload/single-replica" = "warn"\n')
    for spec in ("migrations/shop.yaml", "migrations/blog.yaml"):
        compile_spec(cutover, repo, spec)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "main")
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "--quiet", "origin", "main")
    git(repo, "checkout", "--quiet", "-b", "pr")
    return repo


PULL_REQUEST = {"event_name": "pull_request", "base_ref": "main"}


def check(failures, ok, message):
    if not ok:
        failures.append(message)


def scenarios(action, checkout, cutover, root):
    failures = []
    path = str(pathlib.Path(cutover).resolve().parent)
    minimal = pathlib.Path("examples/minimal.yaml").read_text()

    # 1. A pull request that changes one spec (and recompiles its bundle) and adds another.
    repo = make_repo(root / "changed", cutover)
    shop = repo / "migrations/shop.yaml"
    shop.write_text(shop.read_text().replace("replicas: 3", "replicas: 4"))
    (repo / "migrations/new.yml").write_text(minimal)
    for spec in ("migrations/shop.yaml", "migrations/new.yml"):
        compile_spec(cutover, repo, spec)
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "pr")
    run = Run(action, checkout, repo, {"install": "path"}, PULL_REQUEST, path)
    name = "a pull request that changes a spec"
    check(failures, run.failed is None, f"{name}: failed at {run.failed}: {run.logs}")
    check(failures, run.skipped == ["Install cutover"], f"{name}: skipped {run.skipped}")
    check(failures, run.outputs("specs").get("count") == "3", f"{name}: {run.outputs('specs')}")
    sarif_file = run.outputs("check").get("sarif", "")
    sarif = json.loads(pathlib.Path(sarif_file).read_text()) if sarif_file else {}
    check(failures, sarif.get("version") == "2.1.0", f"{name}: no SARIF report")
    upload = run.calls.get("github/codeql-action/upload-sarif@v4", {})
    check(failures, upload == {"sarif_file": sarif_file, "category": "cutover"}, f"{name}: {upload}")
    check(failures, run.outputs("verify").get("failed") == "false", f"{name}: {run.logs}")
    diff = pathlib.Path(run.outputs("diff").get("file") or os.devnull).read_text()
    for expected in [
        "**`migrations/shop.yaml`** against `main`:\n\n## cutover diff\n\n| | Changed",
        "**`migrations/blog.yaml`** against `main`:\n\n## cutover diff\n\nNo differences",
        "**`migrations/new.yml`** against `main`:\n\nA new migration.",
        "| `spec.replicas` | `3` | `4` |",
    ]:
        check(failures, expected in diff, f"{name}: the diff lacks {expected!r}:\n{diff}")
    comment = run.calls.get("marocchino/sticky-pull-request-comment@v3", {})
    check(
        failures,
        comment == {"header": "cutover", "path": run.outputs("diff").get("file")},
        f"{name}: {comment}",
    )
    check(failures, run.summary.read_text() == diff, f"{name}: the job summary is not the diff")
    listed = pathlib.Path(run.outputs("specs").get("list") or os.devnull).read_text()
    check(failures, "cutover.toml" not in listed, f"{name}: {listed}")

    # 2. A broken spec and a bundle edited by hand: the findings are uploaded, the diff is
    #    posted, and then the job fails.
    repo = make_repo(root / "broken", cutover)
    blog = repo / "migrations/blog.yaml"
    blog.write_text(blog.read_text().replace("podCidr:", "podCIDR:"))
    with open(repo / "migrations/shop/README.md", "a") as readme:
        readme.write("edited by hand\n")
    git(repo, "commit", "--quiet", "-am", "pr")
    run = Run(action, checkout, repo, {"install": "path"}, PULL_REQUEST, path)
    name = "a pull request with a broken spec and a stale bundle"
    check(failures, run.failed == ("Result", 1), f"{name}: {run.failed}")
    check(failures, run.outputs("check").get("failed") == "true", f"{name}: {run.outputs('check')}")
    check(failures, run.outputs("verify").get("failed") == "true", f"{name}: {run.outputs('verify')}")
    sarif = json.loads(pathlib.Path(run.outputs("check")["sarif"]).read_text())
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    check(failures, "spec/unknown-field" in rules, f"{name}: {rules}")
    check(failures, "github/codeql-action/upload-sarif@v4" in run.calls, f"{name}: no upload")
    check(failures, "marocchino/sticky-pull-request-comment@v3" in run.calls, f"{name}: no comment")
    verify_log = run.logs.get("The committed bundles are current", "")
    check(failures, "migrations/shop is stale" in verify_log, f"{name}: {verify_log}")
    check(failures, "README.md: differs" in verify_log, f"{name}: {verify_log}")
    result_log = run.logs.get("Result", "")
    for expected in ["::error title=cutover check::", "::error title=cutover verify::"]:
        check(failures, expected in result_log, f"{name}: {result_log}")

    # 3. Uploads, comments and verification off.
    run = Run(
        action,
        checkout,
        repo,
        {"install": "path", "sarif": "false", "comment": "false", "bundle-dir": ""},
        PULL_REQUEST,
        path,
    )
    name = "sarif, comment and bundle-dir off"
    check(failures, run.calls == {}, f"{name}: {run.calls}")
    check(failures, "The committed bundles are current" in run.skipped, f"{name}: {run.skipped}")
    check(failures, run.failed == ("Result", 1), f"{name}: the broken spec still fails: {run.failed}")

    # 4. Another layout: specs in deploy/, bundles in bundles/<name>.
    repo = root / "layout"
    (repo / "deploy").mkdir(parents=True)
    (repo / "deploy/shop.yaml").write_text(minimal)
    subprocess.run([cutover, "compile", "-q", "deploy/shop.yaml", "-o", "bundles/shop"], cwd=repo, check=True)
    git(repo, "init", "--quiet")
    run = Run(
        action,
        checkout,
        repo,
        {"install": "path", "specs": "deploy/**/*.yaml", "bundle-dir": "bundles/{name}"},
        {"event_name": "push", "base_ref": ""},
        path,
    )
    name = "specs in deploy/, bundles in bundles/, on a push"
    check(failures, run.failed is None, f"{name}: {run.failed}: {run.logs}")
    check(failures, "bundles/shop is up to date" in run.logs.get("The committed bundles are current", ""), f"{name}: {run.logs}")
    check(failures, "Diff against the base branch" in run.skipped, f"{name}: {run.skipped}")
    check(failures, "marocchino/sticky-pull-request-comment@v3" not in run.calls, name)

    # 5. No spec matches: a notice, nothing else, success.
    run = Run(action, checkout, repo, {"install": "path", "specs": "nowhere/*.yaml"}, PULL_REQUEST, path)
    name = "no spec"
    check(failures, run.failed is None, f"{name}: {run.failed}")
    check(failures, "::notice title=cutover::no spec matches" in run.logs.get("Find the specs", ""), name)
    check(failures, run.calls == {}, f"{name}: {run.calls}")
    return failures


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    cutover = str(pathlib.Path(sys.argv[1]).resolve())
    if shutil.which("shellcheck") is None:
        print("shellcheck is missing", file=sys.stderr)
        return 2
    checkout = pathlib.Path.cwd()
    action = load_yaml((checkout / "action.yml").read_text())
    findings = shellcheck(action)
    with tempfile.TemporaryDirectory() as root:
        try:
            failures = scenarios(action, checkout, cutover, pathlib.Path(root))
        except Unsupported as e:
            failures = [f"action.yml: {e}"]
        except (OSError, KeyError, ValueError, subprocess.CalledProcessError) as e:
            failures = [f"the scenarios stopped: {e!r}"]
    for failure in failures:
        print(failure)
    if findings or failures:
        print(f"action.yml: {findings} shellcheck or policy findings, {len(failures)} failed checks")
        return 1
    print("action.yml: every run step passes shellcheck; 5 scenarios ran as on GitHub's runner")
    return 0


if __name__ == "__main__":
    sys.exit(main())
