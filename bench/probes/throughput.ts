/**
 * Throughput probe: a one-directional stream, client to server, paced only by the
 * mechanism's own flow control (a send returns a promise only while the mechanism still
 * holds the frame). The clock stops when the server's Summary arrives, i.e. after the last
 * frame was consumed and verified, so queued-but-undelivered data never inflates the rate.
 *
 * The stream is a synchronous loop (`streamBurst`) that waits only where a send returned a
 * promise: no promise, no event-loop turn per message while the mechanism keeps up.
 */
import { hrtime } from 'node:process';
import { DataFrame } from '../frame.js';
import type { Channel } from '../mechanism.js';
import { nowNs, yieldToEventLoop } from '../clock.js';
import { begin, cpuNowUs, end } from './session.js';
import type { ProbeOutcome, ProbeSettings } from './types.js';

/** The stream gives the event loop a turn this often when the mechanism never pushes back. */
const YIELD_EVERY_MS = 50;

interface StreamState {
  seq: number;
  pending: Promise<void> | undefined;
}

const STREAM_DONE = 0;
const STREAM_YIELD = 1;
const STREAM_WAIT = 2;

function streamBurst(ch: Channel, frame: DataFrame, st: StreamState, untilNs: number, minMessages: number, capNs: number, sliceEndNs: number): number {
  for (;;) {
    const sending = ch.send(frame.stamp(st.seq));
    st.seq++;
    if (sending !== undefined) {
      st.pending = sending;
      return STREAM_WAIT;
    }
    const now = nowNs();
    const enough = st.seq >= minMessages;
    const late = now >= untilNs;
    const capped = now >= capNs;
    if ((enough && late) || capped) return STREAM_DONE;
    if (now >= sliceEndNs) return STREAM_YIELD;
  }
}

/** Stream for `durationMs` and at least `minMessages` messages (or until `capMs`); returns how many were sent. */
async function stream(ch: Channel, frame: DataFrame, durationMs: number, minMessages = 0, capMs = Infinity): Promise<number> {
  const startNs = nowNs();
  const untilNs = startNs + durationMs * 1e6;
  const capNs = startNs + capMs * 1e6;
  const st: StreamState = { seq: 0, pending: undefined };
  for (;;) {
    const r = streamBurst(ch, frame, st, untilNs, minMessages, capNs, nowNs() + YIELD_EVERY_MS * 1e6);
    if (r === STREAM_DONE) return st.seq;
    if (r === STREAM_YIELD) await yieldToEventLoop();
    else {
      const pending = st.pending!;
      st.pending = undefined;
      await pending;
      const now = nowNs();
      if ((st.seq >= minMessages && now >= untilNs) || now >= capNs) return st.seq;
    }
  }
}

export async function throughputClient(ch: Channel, s: ProbeSettings): Promise<ProbeOutcome> {
  const frame = new DataFrame(s.messageBytes);
  if (s.fixedWarmup) await stream(ch, frame, 0, s.fixedWarmup.roundTrips, s.fixedWarmup.capMs);
  if (s.warmupMs > 0 || s.warmupRoundTrips > 0) await stream(ch, frame, s.warmupMs, s.warmupRoundTrips);
  // Begin is answered only after the server has drained the warm-up frames (in-order
  // mechanisms), so the measured phase starts with an empty pipe.
  await begin(ch, s.lossy, s.silenceTimeoutMs, s.messageBytes);
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
