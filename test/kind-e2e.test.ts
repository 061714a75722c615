/**
 * The real thing: `podipc run --placement kind` against a kind cluster, on a machine with a
 * Docker engine, kind and kubectl. Opt-in (PODIPC_KIND=1): it creates the cluster if
 * needed (a minute or two), builds and loads the probe image, and runs a few mechanisms in
 * real pods, same-pod and cross-pod. scripts/e2e-kind.sh runs it; so does CI's bench
 * workflow. Everywhere else it is skipped with a line saying why.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResultFile, placementsOf } from '../core/results.js';

const CLI = fileURLToPath(new URL('../harness/cli.js', import.meta.url));
const ENABLED = process.env.PODIPC_KIND === '1';
const SKIP = ENABLED
  ? false
  : 'needs a kind cluster: set PODIPC_KIND=1 on a machine with a Docker engine, kind and kubectl (scripts/e2e-kind.sh does); this machine is tested up to the cluster edge by kind-plan, kind-prereq, kind-logs and k8s-render';

const tmp = mkdtempSync(join(tmpdir(), 'podipc-kind-e2e-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('podipc run --placement kind: real pods, same-pod and cross-pod, results from the client logs', { skip: SKIP, timeout: 30 * 60_000 }, () => {
  const out = join(tmp, 'out');
  const r = spawnSync(
    process.execPath,
    [CLI, 'run', '--placement', 'kind', '--quick', '--runs', '1', '--mechanisms', 'tcp,uds,mq-posix,shm-posix/futex', '--sizes', '64,16KiB', '--out', out],
    { encoding: 'utf8', timeout: 29 * 60_000 },
  );
  assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
  const results = parseResultFile(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')), 'results.json');
  assert.deepEqual(placementsOf(results), ['kind']);
  assert.match(results.env.placements.kind?.k8sVersion ?? '', /^v1\.\d+/);
  assert.ok(results.env.placements.kind?.details?.node, 'the node is recorded');
  const ok = (mechanism: string, topology: string): boolean =>
    results.cases.some((c) => c.mechanism === mechanism && c.topology === topology && c.status === 'ok' && (c.latencyNs?.p50 ?? c.throughput?.msgsPerSec ?? 0) > 0);
  assert.ok(ok('tcp', 'same-pod'), 'tcp in one pod');
  assert.ok(ok('tcp', 'cross-pod'), 'tcp between two pods');
  assert.ok(ok('uds', 'same-pod'), 'a Unix socket on the shared emptyDir');
  assert.ok(ok('shm-posix', 'same-pod'), 'POSIX shm on the pod /dev/shm');
  assert.ok(results.cases.filter((c) => c.mechanism === 'uds' && c.topology === 'cross-pod').every((c) => c.status === 'skipped'), 'no shared volume across pods');
  for (const c of results.cases) assert.equal(c.integrity?.corrupt ?? 0, 0, `${c.mechanism} ${c.probe} ${c.messageBytes}`);

  // Nothing left behind: the run's namespace is gone, or being deleted.
  const ns = spawnSync(
    'kubectl',
    ['--context', 'kind-podipc', 'get', 'namespaces', '--selector', 'app.kubernetes.io/managed-by=podipc', '--output', 'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}'],
    { encoding: 'utf8' },
  );
  assert.equal(ns.status, 0, ns.stderr);
  const left = ns.stdout.trim().split('\n').filter((l) => l && !l.endsWith('=Terminating'));
  assert.deepEqual(left, [], 'namespaces left behind');
});
