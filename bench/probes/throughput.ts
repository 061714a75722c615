/**
 * Throughput probe: a one-directional stream, client to server, paced only by the
 * mechanism's own flow control (each send resolves when the buffer may be reused). The
 * clock stops when the server's Summary arrives, i.e. after the last frame was consumed
 * and verified, so queued-but-undelivered data never inflates the rate.
 */
import { hrtime } from 'node:process';
import { allocFrame, stampFrame } from '../frame.js';
import { FrameKind } from '../../core/frame-format.js';
import type { Channel } from '../mechanism.js';
import { begin, cpuNowUs, end } from './session.js';
import type { ProbeOutcome, ProbeSettings } from './types.js';

/** Stream for `durationMs` and at least `minMessages` messages; returns how many were sent. */
async function stream(ch: Channel, frame: Uint8Array, durationMs: number, minMessages = 0): Promise<number> {
  const stopAt = hrtime.bigint() + BigInt(Math.round(durationMs * 1e6));
  let seq = 0;
  do {
    await ch.send(stampFrame(frame, FrameKind.Data, seq++));
  } while (seq < minMessages || hrtime.bigint() < stopAt);
  return seq;
}

export async function throughputClient(ch: Channel, s: ProbeSettings): Promise<ProbeOutcome> {
  const frame = allocFrame(s.messageBytes);
  if (s.warmupMs > 0 || s.warmupRoundTrips > 0) await stream(ch, frame, s.warmupMs, s.warmupRoundTrips);
  // Begin is answered only after the server has drained the warm-up frames (in-order
  // mechanisms), so the measured phase starts with an empty pipe.
  await begin(ch, s.lossy, s.silenceTimeoutMs);
  const cpuStartUs = cpuNowUs();
  const t0 = hrtime.bigint();
  const sent = await stream(ch, frame, s.measureMs);
  const clientCpuUs = cpuNowUs() - cpuStartUs;
  const server = await end(ch, s.lossy, s.silenceTimeoutMs, sent);
  const elapsedNs = Number(hrtime.bigint() - t0);
  const seconds = elapsedNs / 1e9;
  return {
    throughput: {
      msgsPerSec: server.received / seconds,
      bytesPerSec: (server.received * s.messageBytes) / seconds,
    },
    elapsedNs,
    cpu: {
      clientUsPerMsg: sent > 0 ? clientCpuUs / sent : 0,
      serverUsPerMsg: server.received > 0 ? server.cpuUs / server.received : 0,
    },
    integrity: {
      sent,
      received: server.received,
      corrupt: server.corrupt,
      lost: Math.max(0, sent - server.received - server.corrupt),
    },
  };
}
