/** The rate probe's pure arithmetic: rates, the schedule, falling behind, the sustainable-rate search. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientBehind, intendedSendNs, nextSearchRate, parseRatePerSec, sustainableRate, sustains } from '../core/rate.js';

test('rates parse with k and M suffixes and reject what is not a rate', () => {
  assert.equal(parseRatePerSec('1k'), 1000);
  assert.equal(parseRatePerSec('2.5k'), 2500);
  assert.equal(parseRatePerSec('1M'), 1_000_000);
  assert.equal(parseRatePerSec('300/s'), 300);
  for (const bad of ['', '-5', '0', 'fast', '1g']) assert.equal(parseRatePerSec(bad), undefined, bad);
});

test('the schedule spaces messages 1/rate apart; a burst shares one intended time', () => {
  assert.equal(intendedSendNs(0, 0, 1000), 0);
  assert.equal(intendedSendNs(0, 3, 1000), 3_000_000);
  assert.equal(intendedSendNs(100, 3, 1000, 4), 100);
  assert.equal(intendedSendNs(100, 4, 1000, 4), 100 + 4_000_000);
});

test('falling behind: a tenth of the interval, at least 50 µs', () => {
  assert.equal(clientBehind(40_000, 100_000), false, '40 µs at 100k/s: under the 50 µs floor');
  assert.equal(clientBehind(60_000, 100_000), true);
  assert.equal(clientBehind(90_000, 1000), false, '90 µs at 1k/s: a tenth of 1 ms is 100 µs');
  assert.equal(clientBehind(110_000, 1000), true);
});

test('sustains: on rate, within budget, nothing lost, the client on schedule', () => {
  const ok = { targetRatePerSec: 10_000, achievedRatePerSec: 9_990, responseP99Ns: 80_000, lost: 0, clientBehind: false };
  assert.equal(sustains(ok, 100_000), true);
  assert.equal(sustains({ ...ok, responseP99Ns: 120_000 }, 100_000), false);
  assert.equal(sustains({ ...ok, lost: 1 }, 100_000), false);
  assert.equal(sustains({ ...ok, clientBehind: true }, 100_000), false);
  assert.equal(sustains({ ...ok, achievedRatePerSec: 9_000 }, 100_000), false);
});

test('the search climbs x2 until a rate fails, then bisects on a log scale', () => {
  // A mechanism that holds up to 45k/s.
  const holds = (r: number): boolean => r <= 45_000;
  const tried: { ratePerSec: number; ok: boolean }[] = [];
  for (let r = nextSearchRate(tried); r !== undefined; r = nextSearchRate(tried)) tried.push({ ratePerSec: r, ok: holds(r) });
  assert.deepEqual(tried.slice(0, 7).map((t) => t.ratePerSec), [1000, 2000, 4000, 8000, 16000, 32000, 64000]);
  assert.equal(tried.length, 7 + 4, 'four refinement steps after the first failure');
  const best = sustainableRate(tried);
  assert.ok(best <= 45_000 && best > 40_000, `found ${best}`);
});

test('the search stops at the maximum, and reports 0 when even the start fails', () => {
  const all: { ratePerSec: number; ok: boolean }[] = [];
  for (let r = nextSearchRate(all, { startRatePerSec: 1000, maxRatePerSec: 8000, refineSteps: 4 }); r !== undefined; r = nextSearchRate(all, { startRatePerSec: 1000, maxRatePerSec: 8000, refineSteps: 4 })) {
    all.push({ ratePerSec: r, ok: true });
  }
  assert.deepEqual(all.map((t) => t.ratePerSec), [1000, 2000, 4000, 8000]);
  assert.equal(sustainableRate([{ ratePerSec: 1000, ok: false }]), 0);
  assert.equal(nextSearchRate([{ ratePerSec: 1000, ok: false }]), undefined);
});
