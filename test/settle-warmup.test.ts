/**
 * The latency probe's settling warm-up (bench/probes/latency.ts `settle`): it goes on while
 * the round trip keeps getting faster and stops once it does not, or at its cap. Driven over
 * a synchronous channel whose echo costs a busy-wait the test chooses, so "getting faster" is
 * a property of the channel, not of the machine's mood.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import type { Channel } from '../bench/mechanism.js';
import { nowNs } from '../bench/clock.js';
import { RoundTrips, settle, SETTLE_FIRST_WINDOW_MS } from '../bench/probes/latency.js';
import type { ProbeSettings } from '../bench/probes/types.js';

/** An echo whose cost is `costNs(answered so far)`, spent busy-waiting before recv returns. */
function costedEcho(costNs: (answered: number) => number): Channel & { answered: number } {
  let pending: Uint8Array | undefined;
  const ch = {
    answered: 0,
    send(frame: Uint8Array): void {
      pending = new Uint8Array(frame);
    },
    recv(): Uint8Array {
      const until = nowNs() + costNs(ch.answered);
      while (nowNs() < until) {
        /* the channel's cost */
      }
      ch.answered++;
      const echo = pending!;
      pending = undefined;
      return echo;
    },
    async close(): Promise<void> {},
  };
  return ch;
}

const settings: ProbeSettings = { messageBytes: 64, warmupMs: 0, warmupRoundTrips: 0, settleCapMs: 0, measureMs: 1, silenceTimeoutMs: 5000, lossy: false };

test('settling goes on while the round trip gets faster, past where a fixed short warm-up would stop, then stops', async () => {
  // What V8 does to a round trip, roughly: 40 µs at first, the excess over 10 µs halving
  // every 300 round trips (within 5 % of the floor after ~1500). The first window (4 ms,
  // ~100 round trips) is long before that: a fixed short warm-up would measure the climb.
  const ch = costedEcho((n) => 10_000 + 30_000 * 0.5 ** (n / 300));
  const roundTrips = await settle(ch, new RoundTrips(64, false), settings, 5000);
  assert.ok(roundTrips > 1500, `stopped after ${roundTrips} round trips, while the round trip was still getting faster`);
  // Once flat it stops within two windows; the windows double from SETTLE_FIRST_WINDOW_MS,
  // so that is bounded far below the ~500,000 round trips of the 5 s cap.
  assert.ok(roundTrips < 60_000, `kept settling for ${roundTrips} round trips on a flat channel`);
});

test('settling stops at once on a channel that is already steady', async () => {
  const ch = costedEcho(() => 20_000);
  const roundTrips = await settle(ch, new RoundTrips(64, false), settings, 5000);
  // Two windows: the first sets the mark, the second is not faster. Each lasts its time
  // (4 ms, then 8 ms) or 50 round trips, whichever is longer: at 20 µs, about 200 and 400.
  const twoWindows = ((SETTLE_FIRST_WINDOW_MS + 2 * SETTLE_FIRST_WINDOW_MS) * 1e6) / 20_000;
  assert.ok(roundTrips <= 2 * twoWindows, `${roundTrips} round trips on a steady channel (two windows are ~${twoWindows})`);
});

test('settling ends at its cap on a channel that is still getting faster', async () => {
  // The excess over 1 µs halves every 10 ms of the channel's life: every doubling window is
  // much faster than the one before until ~250 ms, so only the cap ends settling earlier.
  const bornNs = nowNs();
  const ch = costedEcho(() => 1000 + 200_000 * 0.5 ** ((nowNs() - bornNs) / 10e6));
  await settle(ch, new RoundTrips(64, false), settings, 100);
  // Settling starts no window that would end past the cap: the windows that fit in 100 ms run
  // at 2 µs or slower, a few thousand round trips. Without the cap it would go on into the
  // 1 µs floor for hundreds of ms (~300,000 round trips).
  assert.ok(ch.answered > 0 && ch.answered < 100_000, `${ch.answered} round trips with a 100 ms cap`);
});

test('the cap holds when a window lasts its minimum round trips, not its nominal time', async () => {
  // 256 KiB messages: a window is at least 16 round trips (SETTLE_WINDOW_BYTES / 256 KiB).
  // At 5 ms a round trip, still getting faster, the first window takes ~80 ms against its
  // nominal 4 ms; a second would end near 160 ms, past a 120 ms cap, so settling stops after
  // one. Judged by the nominal 8 ms it ran the second window and overran the cap.
  const ch = costedEcho((n) => 5e6 * 0.97 ** n);
  const roundTrips = await settle(ch, new RoundTrips(256 * 1024, false), { ...settings, messageBytes: 256 * 1024 }, 120);
  assert.equal(roundTrips, 16);
  assert.equal(ch.answered, 16);
});

test('a malformed PODIPC_SETTLE_CAP_MS stops the probe at start with the fix, not a warm-up without a cap', () => {
  const entry = new URL('../bench/entrypoint.js', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [entry, '--calibrate', '64'], { encoding: 'utf8', env: { ...process.env, PODIPC_SETTLE_CAP_MS: 'soon' } });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /PODIPC_SETTLE_CAP_MS='soon': give a number of ms >= 0 \(0: no settling\), or unset it/);
});
