/**
 * What the plain-Node reference ping-pongs share: their command line, the ready line a
 * server prints, and the one JSON line a client prints. Kept apart so each ping-pong file
 * is only what a Node programmer would write to time a round trip - no framing, no
 * checksum, no histogram: the floor podipc's own probe is measured against
 * (bench/reference/run.ts, BENCHMARKS.md "podipc against plain Node").
 */
import { argv, stdout } from 'node:process';

export interface PingPongArgs {
  role: 'server' | 'client';
  /** What the client needs to reach the server (a port, a path, a shm name), from the server's ready line. */
  address: string;
  messageBytes: number;
  /** Round trips before timing starts. */
  warmupRoundTrips: number;
  /** Timed round trips last this long. */
  measureMs: number;
}

/** `<role> <address> <messageBytes> <warmupRoundTrips> <measureMs>` */
export function pingPongArgs(): PingPongArgs {
  const [role, address, messageBytes, warmupRoundTrips, measureMs] = argv.slice(2);
  if (role !== 'server' && role !== 'client') throw new Error('usage: <server|client> <address> <messageBytes> <warmupRoundTrips> <measureMs>');
  return { role, address: address ?? '', messageBytes: Number(messageBytes ?? 64), warmupRoundTrips: Number(warmupRoundTrips ?? 20000), measureMs: Number(measureMs ?? 500) };
}

export const READY_PREFIX = 'READY ';
export const RESULT_PREFIX = 'RESULT ';

export function ready(address: string): void {
  stdout.write(`${READY_PREFIX}${address}\n`);
}

/** Print the client's p50 (nearest rank of the sorted samples) and count. */
export function report(samplesMs: Float64Array, count: number): void {
  const sorted = samplesMs.subarray(0, count).sort();
  const p50Ns = count > 0 ? sorted[Math.floor((count - 1) / 2)]! * 1e6 : 0;
  stdout.write(`${RESULT_PREFIX}${JSON.stringify({ p50Ns, samples: count })}\n`);
}

/** Room for every sample of a run (a sub-µs round trip for a few seconds). */
export function sampleBuffer(): Float64Array {
  return new Float64Array(20_000_000);
}
