/**
 * Self-calibration: what the Node probe itself costs per round trip at each message size,
 * measured over an in-process channel with no kernel in it - stamp the request (seq and
 * CRC-32C, the checksum from tables: DataFrame), copy it to the "server", verify it there
 * (CRC over every byte), copy the echo back, verify it (CRC again), read the clock, record -
 * by the very latency loop the probes run on shared memory and message queues
 * (bench/probes/latency.ts). A mechanism measured at or near this number is being measured
 * at the probe's resolution.
 *
 * Run before the cases of every `podipc run` as `node dist/bench/entrypoint.js --calibrate
 * SIZES` (a fresh process, like a probe), recorded in results.json `env.probeOverhead`.
 */
import { copyBytes } from './bytes.js';
import { ReceiveFrames } from './frame.js';
import { checksumImplementation } from './checksum.js';
import type { Channel } from './mechanism.js';
import { latencyClient } from './probes/latency.js';
import { ServerState } from './probes/session.js';
import type { ProbeOverhead } from '../core/results.js';

/** Prefix of the one line `--calibrate` prints. */
export const CALIBRATION_LINE_PREFIX = 'PODIPC_CALIBRATION ';

export interface CalibrationBudget {
  warmupMs: number;
  warmupRoundTrips: number;
  /** Then settle windows (bench/probes/latency.ts settle) for at most this long. */
  settleCapMs: number;
  measureMs: number;
}

/**
 * Long enough for V8 to have optimised the loop (the same warm-up rule as the cases) and for
 * the p50 to settle; short enough to cost well under a second for five sizes.
 */
export const CALIBRATION_BUDGET: CalibrationBudget = { warmupMs: 20, warmupRoundTrips: 5000, settleCapMs: 100, measureMs: 40 };

/**
 * A synchronous channel whose peer is a ServerState in this thread: `send` copies the frame
 * into the server's buffer and lets it answer, the answer is copied into ours for `recv`.
 * The two copies stand in for the mechanism's (a ring's write and read); nothing else is
 * added to what the probes do per round trip.
 */
export function loopbackChannel(): Channel {
  const server = new ServerState('echo', false);
  let toServer = new Uint8Array(64 * 1024);
  let toClient = new Uint8Array(64 * 1024);
  const serverView = new ReceiveFrames(toServer);
  const clientView = new ReceiveFrames(toClient);
  let answer: Uint8Array | undefined;
  return {
    send(frame) {
      const n = frame.length;
      if (n > toServer.length) {
        toServer = new Uint8Array(n);
        serverView.reset(toServer);
      }
      copyBytes(toServer, 0, frame, 0, n);
      const reply = server.handle(serverView.of(n));
      if (reply === undefined) return;
      const m = reply.length;
      if (m > toClient.length) {
        toClient = new Uint8Array(m);
        clientView.reset(toClient);
      }
      copyBytes(toClient, 0, reply, 0, m);
      answer = clientView.of(m);
    },
    recv() {
      const a = answer;
      if (a === undefined) throw new Error('loopback: recv without a frame to answer (the probe sent nothing)');
      answer = undefined;
      return a;
    },
    async close() {},
  };
}

/** Measure the probe's round trip at each size. */
export async function calibrateProbe(sizes: readonly number[], budget: CalibrationBudget = CALIBRATION_BUDGET): Promise<ProbeOverhead> {
  const perSize: ProbeOverhead['perSize'] = [];
  for (const messageBytes of sizes) {
    const outcome = await latencyClient(loopbackChannel(), {
      messageBytes,
      warmupMs: budget.warmupMs,
      warmupRoundTrips: budget.warmupRoundTrips,
      settleCapMs: budget.settleCapMs,
      measureMs: budget.measureMs,
      silenceTimeoutMs: 10_000,
      lossy: false,
    });
    if (!outcome.latencyNs || outcome.integrity.corrupt > 0 || outcome.integrity.received !== outcome.integrity.sent) {
      throw new Error(`calibration at ${messageBytes} B did not verify its own frames: ${JSON.stringify(outcome.integrity)}`);
    }
    perSize.push({ messageBytes, roundTripNs: outcome.latencyNs.p50, samples: outcome.samples ?? 0 });
  }
  return {
    runtime: 'node',
    method:
      `in-process loopback through the latency probe's synchronous loop (stamp, 2 copies, 2 checks over every byte, 1 clock read per round trip), ` +
      `${checksumImplementation()}; ${budget.warmupRoundTrips} round trips and ${budget.warmupMs} ms of warm-up, ${budget.measureMs} ms measured, p50`,
    perSize,
  };
}
