"""Validate every built-in Kubernetes object of cutover bundles with kubernetes-validate.

Usage: python3 .ci/validate_manifests.py BUNDLE_DIR...

Each bundle's index.json names its target Kubernetes version; its whole objects under
manifests/ and tools/copy/ (not the kustomizations, not the config files copied under a phase's configs/
folder for its configMapGenerator, not the Istio, Gateway API, External Secrets and
ack-secret-manager kinds, which the project's own tests check against their published
field names) are validated with
`kubernetes-validate --strict -k <version>`. Exits non-zero if any object fails.
"""

import json
import pathlib
import subprocess
import sys

import yaml

CUSTOM_GROUPS = (
    "networking.istio.io/",
    "gateway.networking.k8s.io/",
    "external-secrets.io/",
    "alibabacloud.com/",
)
# cutover's render::manifests::CONFIG_FOLDER: config files, data rather than objects.
CONFIG_FOLDER = "configs"

OLDEST_SCHEMA = (1, 25)  # the oldest version kubernetes-validate ships schemas for


def objects(bundle: pathlib.Path):
    for path in sorted((bundle / "manifests").rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        if CONFIG_FOLDER in path.relative_to(bundle / "manifests").parts[:-1]:
            continue
        document = yaml.safe_load(path.read_text())
        if str(document.get("apiVersion", "")).startswith(CUSTOM_GROUPS):
            continue
        yield path
    # The static PV and claim of each `snapshot` copy, applied by the last traffic phase.
    yield from sorted((bundle / "tools" / "copy").rglob("*.yaml"))


def main() -> int:
    failed = 0
    total = 0
    for bundle in map(pathlib.Path, sys.argv[1:]):
        index = json.loads((bundle / "index.json").read_text())
        major, minor = (int(x) for x in index["kubernetesVersion"].split("."))
        major, minor = max((major, minor), OLDEST_SCHEMA)
        files = [str(p) for p in objects(bundle)]
        total += len(files)
        if not files:
            continue
        run = subprocess.run(
            ["kubernetes-validate", "--strict", "--quiet", "-k", f"{major}.{minor}.0", *files],
            capture_output=True,
            text=True,
        )
        print(f"{bundle}: {len(files)} objects against Kubernetes {major}.{minor}: "
              f"{'ok' if run.returncode == 0 else 'FAILED'}")
        if run.returncode != 0:
            failed += 1
            print(run.stdout, run.stderr, sep="\n")
    print(f"kubernetes-validate: {total} objects in {len(sys.argv) - 1} bundles, {failed} bundles failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
