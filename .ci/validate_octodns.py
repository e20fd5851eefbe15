"""Validate every octoDNS zone file of cutover bundles with octoDNS itself.

Usage: python3 .ci/validate_octodns.py BUNDLE_DIR...

For each phase folder under dns/octodns/, a config points octoDNS's YamlProvider at it and
`octodns-validate` loads and validates every record. Exits non-zero if any fails.
"""

import pathlib
import subprocess
import sys
import tempfile

CONFIG = """providers:
  phase:
    class: octodns.provider.yaml.YamlProvider
    directory: {directory}
zones:
{zones}"""


def main() -> int:
    failed = checked = 0
    for bundle in map(pathlib.Path, sys.argv[1:]):
        root = bundle / "dns" / "octodns"
        if not root.is_dir():
            continue
        for phase in sorted(p for p in root.iterdir() if p.is_dir()):
            zones = "".join(
                f"  {f.stem}.:\n    sources: [phase]\n    targets: []\n"
                for f in sorted(phase.glob("*.yaml"))
            )
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as config:
                config.write(CONFIG.format(directory=phase.resolve(), zones=zones))
            run = subprocess.run(
                ["octodns-validate", "--config-file", config.name],
                capture_output=True,
                text=True,
            )
            checked += 1
            if run.returncode != 0:
                failed += 1
                print(f"FAILED {phase}:\n{run.stdout}{run.stderr}")
    print(f"octodns-validate: {checked} phase zone folders, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
