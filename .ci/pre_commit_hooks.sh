#!/usr/bin/env bash
# pre-commit runs this checkout's hooks (.pre-commit-hooks.yaml) as a team's repository meets
# them: `pre-commit try-repo` in a git repository that holds the example specs under
# migrations/ with their compiled bundles beside them, where both hooks must pass. Then, in
# the same repository with one spec broken and another spec's bundle edited by hand, each
# hook must fail and say why.
#
# usage: .ci/pre_commit_hooks.sh PRE_COMMIT CUTOVER   (from the checkout's root)
#
# try-repo builds cutover as pre-commit does for a user (`language: rust`: cargo install
# --path, in release, into a temporary store: minutes). The failing run does not build it
# again: it runs the same hook definitions (files, exclude, entry) as local hooks with
# `language: system` and CUTOVER's folder on PATH.
set -euo pipefail

pre_commit=$1
cutover=$(realpath "$2")
checkout=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# pre-commit's cargo install builds here (and not in the store's clone), deleted at the end.
export CARGO_TARGET_DIR="$work/target"

# The team's repository. secrets.yaml reads config files from piggymetrics/, where
# piggymetrics.yaml's bundle goes: it lives in a second migrations/ folder, which the hooks'
# default pattern matches too. The cutover.toml beside the specs is not a spec.
repo="$work/repo"
mkdir -p "$repo/migrations" "$repo/team-b/migrations"
for spec in examples/*.yaml; do
  case "$(basename "$spec")" in
    secrets.yaml) cp "$spec" "$repo/team-b/migrations/" ;;
    *) cp "$spec" "$repo/migrations/" ;;
  esac
done
cp -r examples/piggymetrics "$repo/team-b/migrations/"
printf '[rules]\n"workload/single-replica" = "warn"\n' > "$repo/migrations/cutover.toml"
(
  cd "$repo"
  for spec in migrations/*.yaml team-b/migrations/*.yaml; do
    "$cutover" compile --quiet "$spec" -o "${spec%.*}"
  done
  git init --quiet
  git add .
  git -c user.name=ci -c user.email=ci@example.invalid commit --quiet -m "specs and bundles"
)
specs=$(cd "$repo" && printf '%s\n' migrations/*.yaml team-b/migrations/*.yaml | wc -l)

try_repo() {
  (cd "$repo" && "$pre_commit" try-repo "$checkout" --all-files --color never)
}

started=$SECONDS
if ! try_repo > "$work/pass.log" 2>&1; then
  cat "$work/pass.log"
  echo "pre-commit: the hooks failed on the example specs and their bundles" >&2
  exit 1
fi
for hook in "cutover check" "cutover verify"; do
  grep -Eq "^$hook\.+Passed$" "$work/pass.log" || {
    cat "$work/pass.log"
    echo "pre-commit: $hook did not run and pass" >&2
    exit 1
  }
done
echo "pre-commit try-repo: cutover-check and cutover-verify passed on $specs specs ($((SECONDS - started)) s, with the build)"

# One spec with an error, another spec's bundle edited by hand.
(
  cd "$repo"
  sed -i 's|podCidr: 10.16.0.0/16 |podCidr: 172.16.0.0/16|' migrations/piggymetrics.yaml
  echo "edited by hand" >> migrations/minimal/README.md
  git -c user.name=ci -c user.email=ci@example.invalid commit --quiet -am "a broken spec, a stale bundle"
)
# The manifest's hooks as local ones, run by the cutover given.
"$(dirname "$pre_commit")/python" - .pre-commit-hooks.yaml > "$work/local.yaml" <<'EOF'
import sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
for hook in hooks:
    hook["language"] = "system"
print(yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False))
EOF
started=$SECONDS
if (cd "$repo" && PATH="$(dirname "$cutover"):$PATH" "$pre_commit" run --config "$work/local.yaml" \
  --all-files --color never) > "$work/fail.log" 2>&1; then
  cat "$work/fail.log"
  echo "pre-commit: the hooks passed a spec with an error and a stale bundle" >&2
  exit 1
fi
for expected in \
  '^cutover check\.+Failed$' \
  '^cutover verify\.+Failed$' \
  'network/pod-overlap' \
  '^migrations/minimal is stale: 1 files differ' \
  '^  README.md: differs$'; do
  grep -Eq "$expected" "$work/fail.log" || {
    cat "$work/fail.log"
    echo "pre-commit: the failing run does not say /$expected/" >&2
    exit 1
  }
done
echo "pre-commit: both hooks fail on a spec with an error and a stale bundle, and say why ($((SECONDS - started)) s)"
