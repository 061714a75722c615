/**
 * `podipc run --runtime native --placement process` measures every mechanism the native
 * probe implements, through both probes at 64 B and 64 KiB (tiny budgets), with the harness's
 * own runner, matrix and result parsing (the quick profile's 2000 warm-up round trips per
 * case; 1 MiB is covered by native-probe-mechanisms.test.ts with a short warm-up): every implemented case ok and verified, `runtime`
 * native on every case, a case the mechanism cannot run skipped with the mechanism's own
 * reason, a Node-only mechanism skipped saying the native probe does not implement it, and
 * nothing left behind (run directories, IPC objects, processes).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMechanism } from '../bench/registry.js';
import { caseKey } from '../core/results.js';
import { nativeRuntime } from '../harness/runtimes/native.js';
import { allSelections } from '../harness/selection.js';
import { assertCaseSane, ownRunDirs, runQuick } from './helpers/suite.js';

const available = nativeRuntime.availability();
const skip = available.ok ? false : `the native probe is unavailable: ${available.reason}`;

test('every native mechanism through both probes at 64 B and 64 KiB via podipc run --runtime native', { skip, timeout: 600_000 }, async (t) => {
  const results = await runQuick([
    '--placement', 'process', '--runtime', 'native', '--sizes', '64,65536', '--probes', 'latency,throughput',
    '--runs', '1', '--warmup-ms', '5', '--budget-ms', '30', '--setup-timeout-ms', '5000',
  ]);
  assert.deepEqual(results.config.runtimes, ['native']);
  let ok = 0;
  for (const s of allSelections()) {
    for (const probe of ['latency', 'throughput'] as const) {
      for (const messageBytes of [64, 65536]) {
        const c = results.cases.find((x) => x.mechanism === s.mechanism && x.variant === s.variant && x.probe === probe && x.messageBytes === messageBytes);
        assert.ok(c, `no case ${s.mechanism}/${s.variant ?? ''} ${probe} ${messageBytes}`);
        assert.equal(c.runtime, 'native');
        const key = caseKey(c);
        const mech = findMechanism(c.mechanism)!;
        const support = mech.supports(probe, messageBytes, s.variant);
        const implemented = nativeRuntime.implements(c.mechanism, c.variant, probe);
        if (!support.ok) {
          assert.equal(c.status, 'skipped', key);
          assert.equal(c.reason, support.reason, `${key}: skipped for something other than the mechanism's own limit`);
        } else if (!implemented.ok) {
          assert.equal(c.status, 'skipped', key);
          assert.match(c.reason ?? '', new RegExp(`^the native probe does not implement ${c.mechanism}`), key);
        } else if (c.mechanism === 'udp' && c.status === 'skipped' && /net\.core\.rmem_max/.test(c.reason ?? '')) {
          t.diagnostic(`${key} skipped on this host: ${c.reason}`);
        } else {
          assertCaseSane(c, { lossless: !(mech.lossy && probe === 'throughput') });
          assert.equal(c.runs[0]?.status, 'ok');
          assert.ok(c.runs[0]?.latencyHistogram || probe !== 'latency', `${key}: the run kept no histogram`);
          ok++;
        }
      }
    }
  }
  // 13 native mechanism/variant selections x 4 cases, minus sem's three.
  assert.equal(ok, 13 * 4 - 3);
  assert.deepEqual(ownRunDirs(), [], 'run directories were left behind');
});
