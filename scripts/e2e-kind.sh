#!/usr/bin/env bash
# The kind path end to end, on a machine with a Docker engine, kind and kubectl (a laptop,
# a CI runner): install, build, bring up the cluster, render and validate the manifests,
# run the real-cluster test, then the quick suite in real pods.
#
#   scripts/e2e-kind.sh [--out DIR] [--teardown]
#
#   --out DIR     where the manifests and results go (default results/e2e-kind-<UTC time>)
#   --teardown    delete the kind cluster at the end (default: leave it up for the next run)
#
# Environment: PODIPC_E2E_SKIP_INSTALL=1 skips `npm ci` (dependencies already installed);
# the PODIPC_KIND_* knobs of k8s/README.md apply to the cluster and the runs.
# Exit codes: 0 everything passed, 1 a step failed, 2 a prerequisite is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

out="results/e2e-kind-$(date -u +%Y-%m-%dT%H-%M-%SZ)"
teardown=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    --teardown) teardown=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "e2e-kind: unknown argument '$1' (use --out DIR, --teardown)" >&2; exit 2 ;;
  esac
done

say() { printf '\ne2e-kind: %s\n' "$*"; }

# 1. Prerequisites, each with its fix (podipc checks the same again, in more words).
missing=0
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "e2e-kind: $1 is not on PATH: $2" >&2
    missing=1
  fi
}
need node "install Node.js 20 or newer"
need npm "it comes with Node.js"
need docker "install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop"
need kind "go install sigs.k8s.io/kind@v0.30.0, or a release binary (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
[ "$missing" -eq 0 ] || exit 2
if ! docker info >/dev/null 2>&1; then
  echo "e2e-kind: the Docker engine is not reachable (\`docker info\` fails): start it (sudo systemctl start docker, or Docker Desktop)" >&2
  exit 2
fi

cleanup() {
  if [ "$teardown" -eq 1 ]; then
    say "deleting the kind cluster (--teardown)"
    node dist/harness/cli.js cluster down || true
  fi
}
trap cleanup EXIT

# 2. Install and build: npm ci also compiles the native addon with node-gyp.
if [ "${PODIPC_E2E_SKIP_INSTALL:-0}" != 1 ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi
say "build"
npm run build --silent

# 3. The cluster (kept if it already exists).
say "cluster up"
node dist/harness/cli.js cluster up

# 4. The manifests a run applies, written for review and validated offline.
mkdir -p "$out"
say "render manifests to $out/manifests"
node dist/harness/cli.js k8s render --quick --out "$out/manifests"

# 5. The real-cluster test: a few mechanisms, same-pod and cross-pod, checked in detail.
say "kind end-to-end test"
PODIPC_KIND=1 node --test --test-force-exit dist/test/kind-e2e.test.js

# 6. The quick suite in real pods; report.md, report.html and charts land next to results.json.
say "quick suite on kind -> $out/quick"
node dist/harness/cli.js run --quick --placement kind --out "$out/quick"

say "done: $out/quick/report.md"
