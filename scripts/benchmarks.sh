#!/usr/bin/env bash
# The measurements behind BENCHMARKS.md, in one window, one after another (this machine is
# noisy: only numbers from one window compare). Writes everything under OUT and prints the
# load average before and after each step, which says whether the numbers may be quoted.
#
#   scripts/benchmarks.sh [OUT]        (default results/benchmarks-<UTC timestamp>; after npm ci)
#
# Steps: the probe against plain-Node ping-pongs (bench:overhead), the checksum's speed
# (bench:checksum), the timing loop (bench:timing-loop), native vs Node at 64 B and 1 MiB,
# the placements side by side (process, sandbox, podman: root), the rate probe
# (bench:rate), the quick suite's wall time, and quick against full (bench:quick-vs-full).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/benchmarks-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
npm run build --silent
podipc() { node dist/harness/cli.js "$@"; }
step() {
  local name=$1
  shift
  echo "== $name (load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/steps.txt"
  local start=$SECONDS
  # A run with a failed case exits 1: that is a result to read, not a reason to stop.
  local rc=0
  "$@" 2>&1 | tee "$out/$name.txt" || rc=$?
  echo "   $name took $((SECONDS - start)) s, exit $rc (load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/steps.txt"
}

step overhead node dist/bench/reference/overhead.js --rounds 3 --json "$out/overhead.json"
step checksum node dist/bench/reference/checksum-bench.js --json "$out/checksum.json"
step timing-loop node dist/bench/reference/timing-loop.js
step native-vs-node podipc run --placement process --runtime native,node --sizes 64,1MiB --out "$out/native-vs-node"
if [ "$(id -u)" = 0 ] && command -v podman >/dev/null; then
  step placements podipc run --placement process,sandbox,podman --runtime native,node \
    --mechanisms tcp,uds,mq-posix,shm-posix/futex,shm-posix/spin --sizes 64,64KiB --out "$out/placements"
fi
step rate node dist/bench/reference/rate-ladder.js --measure-ms 1000
step quick bash -c "time node dist/harness/cli.js run --quick --out '$out/quick'"
step quick-vs-full node dist/bench/reference/quick-vs-full.js --rounds 1 --json "$out/quick-vs-full.json" -- --placement process
echo "wrote $out"
