/**
 * Every mechanism of the native probe runs for real, native client against native server,
 * through both probes at 64 B and 1 MiB (tiny budgets): every case ok (or skipped where the
 * mechanism says so, with its reason), every frame verified (nothing corrupt; nothing lost
 * where the transport is reliable), numbers present, and no IPC object left behind by the
 * probes themselves (checked before the harness's sweep would hide a leak).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { bothProbes, NATIVE_PROBE, runPair } from './helpers/native-pair.js';
import { describeIpcObject } from './helpers/ipc.js';

interface Listed {
  id: string;
  variants: string[];
  probes: string[];
}

const listed = (JSON.parse(execFileSync(NATIVE_PROBE, ['--list'], { encoding: 'utf8' })) as { mechanisms: Listed[] }).mechanisms;
const SIZES = [64, 1048576];

for (const m of listed) {
  for (const variant of m.variants.length > 0 ? m.variants : [undefined]) {
    const label = variant ? `${m.id}/${variant}` : m.id;
    test(`native ${label}: both probes at 64 B and 1 MiB, native client vs native server`, { timeout: 120_000 }, async (t) => {
      const r = await runPair({ server: 'native', client: 'native', mechanism: m.id, variant, cases: bothProbes(SIZES) });
      assert.equal(r.failure, undefined, `the pair failed: ${r.failure}`);
      assert.equal(r.lines.length, 4, 'one result line per case');
      for (const line of r.lines) {
        const what = `${label} ${line.probe} ${line.messageBytes} B`;
        if (!m.probes.includes(line.probe) || (m.id === 'sem' && line.messageBytes > 64)) {
          // Cases the mechanism cannot run are skipped naming why, as the Node side does.
          assert.equal(line.status, 'skipped', `${what} should be skipped`);
          assert.match(line.reason ?? '', /sem (is a wake-up primitive|carries no payload)/);
          continue;
        }
        if (m.id === 'udp' && line.status === 'skipped' && /net\.core\.rmem_max/.test(line.reason ?? '')) {
          t.diagnostic(`${what} skipped on this host: ${line.reason}`);
          continue;
        }
        assert.equal(line.status, 'ok', `${what}: ${line.status}: ${line.reason ?? ''}`);
        assert.equal(line.mechanism, m.id);
        assert.equal(line.variant, variant);
        const i = line.integrity!;
        assert.equal(i.corrupt, 0, `${what}: ${i.corrupt} corrupt frames`);
        assert.ok(i.received > 0, `${what}: nothing received`);
        // UDP under a throughput flood drops datagrams: that is the lesson, shown as `lost`.
        if (m.id !== 'udp' || line.probe === 'latency') assert.equal(i.lost, 0, `${what}: ${i.lost} lost`);
        assert.equal(i.received + i.lost + i.corrupt, i.sent, `${what}: every frame sent is received, lost or corrupt`);
        assert.ok(line.cpu && line.cpu.clientUsPerMsg > 0 && line.cpu.serverUsPerMsg > 0, `${what}: CPU per message ${JSON.stringify(line.cpu)}`);
        if (line.probe === 'latency') {
          const l = line.latencyNs!;
          // Percentiles are the highest value of their bucket, max the 100th percentile (HdrHistogram's way).
          assert.ok(l.p50 > 0 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, `${what}: ${JSON.stringify(l)}`);
          assert.ok((line.samples ?? 0) >= 10, `${what}: ${line.samples} samples`);
        } else {
          assert.ok(line.throughput && line.throughput.msgsPerSec > 0, `${what}: ${JSON.stringify(line.throughput)}`);
          assert.ok(Math.abs(line.throughput.bytesPerSec - line.throughput.msgsPerSec * line.messageBytes) < 1e-6 * line.throughput.bytesPerSec);
        }
      }
      assert.deepEqual(r.leftBehind.map(describeIpcObject), [], 'the probes left IPC objects behind');
      assert.deepEqual(r.sweepFailed, []);
    });
  }
}

test('the native probe lists exactly the mechanisms whose files it compiles, with the Node variants', async () => {
  const { mechanisms } = await import('../bench/registry.js');
  for (const m of listed) {
    const node = mechanisms.find((n) => n.id === m.id);
    assert.ok(node, `native mechanism ${m.id} has no Node counterpart`);
    assert.deepEqual(m.variants, [...(node.variants ?? [])], `${m.id}: variants differ from the Node side`);
  }
  // The contract's Node-only mechanisms stay Node-only.
  for (const nodeOnly of ['ws', 'file-disk', 'file-tmpfs']) assert.ok(!listed.some((m) => m.id === nodeOnly), nodeOnly);
  assert.equal(listed.length, 9);
});
