/**
 * The latency probe's integrity counts cover the measured phase and nothing else: what it
 * reports as sent and received are exactly the round trips it recorded, however many
 * warm-up ran before, over a synchronous channel and an event-driven one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loopbackChannel } from '../bench/calibrate.js';
import type { Channel } from '../bench/mechanism.js';
import { latencyClient } from '../bench/probes/latency.js';
import { ServerState } from '../bench/probes/session.js';
import type { ProbeSettings } from '../bench/probes/types.js';
import { FrameQueue } from '../bench/stream-channel.js';

/** An in-process server whose answers arrive on a later event-loop turn, through FrameQueue like a socket's. */
function eventLoopback(): Channel {
  const server = new ServerState('echo', false);
  const queue = new FrameQueue();
  return {
    send(frame) {
      const request = Uint8Array.from(frame);
      setImmediate(() => {
        const reply = server.handle(request);
        if (reply !== undefined) queue.deliver(Uint8Array.from(reply));
      });
    },
    recv: (timeoutMs) => queue.recv(timeoutMs),
    listen: (sink) => queue.listen(sink),
    async close() {},
  };
}

const settings: ProbeSettings = { messageBytes: 64, warmupMs: 0, warmupRoundTrips: 500, settleCapMs: 20, measureMs: 10, silenceTimeoutMs: 5000, lossy: false };

for (const [kind, open] of [['synchronous', loopbackChannel], ['event-driven', eventLoopback]] as const) {
  test(`${kind} channel: the measured phase reports its own round trips, not warm-up's`, async () => {
    const outcome = await latencyClient(open(), { ...settings, fixedWarmup: { roundTrips: 300, capMs: 1000 } });
    const warmupRoundTrips = outcome.warmup?.roundTrips ?? 0;
    assert.ok(warmupRoundTrips >= 800, `warm-up ran ${warmupRoundTrips} round trips`);
    assert.ok((outcome.samples ?? 0) >= 10);
    assert.deepEqual(outcome.integrity, { sent: outcome.samples, received: outcome.samples, corrupt: 0, lost: 0 });
  });
}
