/**
 * What every rate-probe test asserts about an ok rate line, whatever the timings: the
 * schedule bounded what was sent (an open loop never sends more than its schedule holds,
 * whereas a closed loop at a low rate would send thousands), every message verified, and
 * response time (from the intended send) never below service time (from the actual send),
 * per percentile, as it is per message.
 */
import assert from 'node:assert/strict';
import { histogramFromPairs, lowestEquivalentNs, summarizeHistogram } from '../../core/histogram.js';
import type { ProbeLine } from '../../core/protocol.js';

export function assertRateLineSane(line: ProbeLine, what: string, o: { ratePerSec: number; measureMs: number; lossless: boolean; burst?: number }): void {
  assert.equal(line.status, 'ok', `${what}: ${line.status}: ${line.reason ?? ''}`);
  assert.equal(line.probe, 'rate');
  const i = line.integrity!;
  assert.equal(i.corrupt, 0, `${what}: ${i.corrupt} corrupt`);
  if (o.lossless) assert.equal(i.lost, 0, `${what}: ${i.lost} lost`);
  assert.equal(i.received + i.corrupt + i.lost, i.sent, `${what}: every message sent is received, corrupt or lost`);
  // The schedule holds rate x window messages (at least 10; whole bursts): never more were sent.
  const burst = o.burst ?? 1;
  const scheduled = Math.max(10, Math.ceil((o.ratePerSec * o.measureMs) / 1000 / burst) * burst);
  assert.ok(i.sent >= 10 && i.sent <= scheduled, `${what}: sent ${i.sent}, the schedule holds ${scheduled}`);
  assert.ok(line.achievedRatePerSec !== undefined && line.achievedRatePerSec > 0, `${what}: achieved rate ${line.achievedRatePerSec}`);
  assert.equal(typeof line.clientBehind, 'boolean', `${what}: clientBehind missing`);
  assert.ok(line.selfLagP99Ns !== undefined && line.selfLagP99Ns >= 0);
  assert.ok(line.responseHistogram && line.serviceHistogram, `${what}: histograms missing`);
  const response = summarizeHistogram(histogramFromPairs(line.responseHistogram));
  const service = summarizeHistogram(histogramFromPairs(line.serviceHistogram));
  const count = (h: NonNullable<ProbeLine['responseHistogram']>): number => h.pairs.reduce((n, [, c]) => n + c, 0);
  assert.equal(count(line.responseHistogram), i.received, `${what}: one response time per answered message`);
  assert.equal(count(line.serviceHistogram), i.received, `${what}: one service time per answered message`);
  assert.equal(line.samples, i.received);
  for (const k of ['p50', 'p99', 'max'] as const) {
    assert.ok(response[k] >= service[k], `${what}: response ${k} ${response[k]} < service ${k} ${service[k]}`);
    // The line's summaries are the histograms' (to the bucket: the native probe's max is its
    // top bucket's lowest value, hdr-histogram-js's the highest; the harness recomputes them).
    assert.equal(lowestEquivalentNs(line.responseNs![k]), lowestEquivalentNs(response[k]), `${what}: responseNs.${k} is not its histogram's`);
    assert.equal(lowestEquivalentNs(line.serviceNs![k]), lowestEquivalentNs(service[k]), `${what}: serviceNs.${k} is not its histogram's`);
  }
  assert.ok(line.cpu && line.cpu.clientUsPerMsg >= 0 && line.cpu.serverUsPerMsg > 0 && (line.pacingSpinUsPerMsg ?? -1) >= 0, `${what}: CPU per message ${JSON.stringify(line.cpu)}`);
}
