/**
 * Latency probe: round-trip ping-pong. The client stamps a frame (seq + CRC), sends it,
 * and waits for the server's verified echo; tinybench times each round trip after its
 * warm-up. One-way latency is not claimed: it cannot be measured honestly without a
 * shared clock, and a round trip is what an RPC pays.
 */
import { Bench } from 'tinybench';
import { allocFrame, checkFrame, stampFrame } from '../frame.js';
import { FrameKind } from '../../core/frame-format.js';
import type { Channel } from '../mechanism.js';
import { LatencyRecorder } from '../../core/histogram.js';
import { summarizeLatency } from '../../core/stats.js';
import { begin, cpuNowUs, end } from './session.js';
import type { ProbeOutcome, ProbeSettings } from './types.js';

/** A lossy mechanism's echo that has not come back after this long counts as lost. */
const LOSS_TIMEOUT_MS = 200;

export async function latencyClient(ch: Channel, s: ProbeSettings): Promise<ProbeOutcome> {
  const frame = allocFrame(s.messageBytes);
  let seq = 0;
  let sent = 0;
  let received = 0;
  let corrupt = 0;
  let lost = 0;
  let measuring = false;
  let cpuStartUs = 0;
  let cpuUs = 0;

  const roundTrip = async (): Promise<void> => {
    const mySeq = seq++;
    await ch.send(stampFrame(frame, FrameKind.Data, mySeq));
    if (measuring) sent++;
    for (;;) {
      const echo = await ch.recv(s.lossy ? LOSS_TIMEOUT_MS : s.silenceTimeoutMs);
      if (echo === null) {
        if (!s.lossy) throw new Error(`no answer from the server within ${s.silenceTimeoutMs} ms (stopped or hung?)`);
        if (measuring) lost++;
        return;
      }
      const check = checkFrame(echo);
      if (check.ok && check.kind === FrameKind.Data && check.seq < mySeq && s.lossy) continue; // a late echo
      if (!measuring) return;
      if (check.ok && check.kind === FrameKind.Data && check.seq === mySeq) received++;
      else corrupt++;
      return;
    }
  };

  const bench = new Bench({
    time: s.measureMs,
    warmupTime: s.warmupMs,
    warmup: s.warmupMs > 0 || s.warmupRoundTrips > 0,
    // At least a few samples even when one round trip outlasts the budget (1 MiB on a busy host).
    iterations: 10,
    warmupIterations: s.warmupRoundTrips,
    retainSamples: true,
    throws: true,
    // hrtime-based clock; keep raw round trips (no timer-overhead subtraction) so the
    // numbers mean exactly what they say.
    timestampProvider: 'hrtimeNow',
    subtractTimerOverhead: false,
  });
  bench.add('round-trip', roundTrip, {
    async beforeAll(mode) {
      if (mode !== 'run') return;
      await begin(ch, s.lossy, s.silenceTimeoutMs);
      measuring = true;
      cpuStartUs = cpuNowUs();
    },
    afterAll(mode) {
      if (mode !== 'run') return;
      cpuUs = cpuNowUs() - cpuStartUs;
      measuring = false;
    },
  });
  await bench.run();
  const task = bench.tasks[0];
  const result = task?.result;
  if (!result || !('latency' in result)) {
    const error = result && 'error' in result ? result.error : undefined;
    throw new Error(`tinybench did not complete the round-trip task${error ? `: ${error.message}` : ''}`);
  }
  const samplesMs = result.latency.samples ?? [];
  const server = await end(ch, s.lossy, s.silenceTimeoutMs, sent);
  const recorder = new LatencyRecorder();
  for (const ms of samplesMs) recorder.record(ms * 1e6);
  return {
    latencyNs: summarizeLatency(samplesMs.map((ms) => ms * 1e6)),
    samples: samplesMs.length,
    latencyHistogram: recorder.pairs(),
    cpu: {
      clientUsPerMsg: sent > 0 ? cpuUs / sent : 0,
      serverUsPerMsg: server.received > 0 ? server.cpuUs / server.received : 0,
    },
    // A request damaged on the way in is echoed damaged, so the client's count covers both
    // directions; adding the server's count would count such a round trip twice.
    integrity: { sent, received, corrupt, lost },
  };
}
