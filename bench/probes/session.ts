/**
 * The control exchange both probes share: Begin/Ack opens the measured phase, End/Summary
 * closes it and brings back what only the server knows (what it received, whether it was
 * intact, and its CPU time). Lossy mechanisms resend control frames until answered.
 */
import { cpuUsage } from 'node:process';
import { checkFrame, jsonFrame, jsonPayload } from '../frame.js';
import { FrameKind } from '../../core/frame-format.js';
import type { Channel } from '../mechanism.js';

export interface ServerSummary {
  /** Intact data frames received in the measured phase. */
  received: number;
  /** Frames that failed the checksum, magic, length or stamp check. */
  corrupt: number;
  /** Server CPU (user + system) during the measured phase, in µs. */
  cpuUs: number;
}

/** How long a lossy mechanism waits for a control answer before resending. */
const CONTROL_RESEND_MS = 100;

export function cpuNowUs(): number {
  const u = cpuUsage();
  return u.user + u.system;
}

/**
 * Send a control frame and wait for the answer of kind `expect`, skipping data frames
 * still in flight (a lossy transport may deliver stale echoes late).
 */
export async function exchange(
  ch: Channel,
  lossy: boolean,
  deadlineMs: number,
  request: Uint8Array,
  expect: FrameKind,
): Promise<Uint8Array> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    await ch.send(request);
    for (;;) {
      const frame = await ch.recv(lossy ? CONTROL_RESEND_MS : Math.max(1, deadline - Date.now()));
      if (frame === null) break; // lossy: resend; otherwise the deadline check below fails
      const check = checkFrame(frame);
      if (check.ok && check.kind === expect) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no ${FrameKind[expect]} answer from the server within ${deadlineMs} ms`);
  }
}

export async function begin(ch: Channel, lossy: boolean, deadlineMs: number): Promise<void> {
  await exchange(ch, lossy, deadlineMs, jsonFrame(FrameKind.Begin, {}), FrameKind.Ack);
}

export async function end(ch: Channel, lossy: boolean, deadlineMs: number, sent: number): Promise<ServerSummary> {
  const frame = await exchange(ch, lossy, deadlineMs, jsonFrame(FrameKind.End, { sent }), FrameKind.Summary);
  const body = jsonPayload(frame) as Partial<ServerSummary>;
  if (typeof body.received !== 'number' || typeof body.corrupt !== 'number' || typeof body.cpuUs !== 'number') {
    throw new Error(`server summary is malformed: ${JSON.stringify(body)}`);
  }
  return { received: body.received, corrupt: body.corrupt, cpuUs: body.cpuUs };
}

/**
 * The server side of every case: echo data frames (latency) or count them (throughput),
 * answer Begin and End. Returns after answering End; for lossy mechanisms it lingers to
 * answer a resent End whose Summary was lost. Every receive is bounded by the silence
 * timeout, so a dead client ends the case instead of hanging the server.
 */
export async function serve(ch: Channel, mode: 'echo' | 'sink', lossy: boolean, silenceTimeoutMs: number): Promise<void> {
  let received = 0;
  let corrupt = 0;
  let cpuStartUs = cpuNowUs();
  let summary: Uint8Array | undefined;
  for (;;) {
    const frame = await ch.recv(summary && lossy ? 300 : silenceTimeoutMs);
    if (frame === null) {
      if (summary) return; // lingering after End: the client is gone
      throw new Error(`no frame from the client within ${silenceTimeoutMs} ms (stopped or hung?)`);
    }
    const check = checkFrame(frame);
    if (!check.ok || check.kind === FrameKind.Data) {
      if (summary) continue;
      if (check.ok) received++;
      else corrupt++;
      // Echo even a corrupt frame: the client is waiting, and will see the damage itself.
      if (mode === 'echo') await ch.send(frame);
      continue;
    }
    if (check.kind === FrameKind.Begin) {
      received = 0;
      corrupt = 0;
      cpuStartUs = cpuNowUs();
      await ch.send(jsonFrame(FrameKind.Ack, {}));
    } else if (check.kind === FrameKind.End) {
      summary ??= jsonFrame(FrameKind.Summary, { received, corrupt, cpuUs: cpuNowUs() - cpuStartUs } satisfies ServerSummary);
      await ch.send(summary);
      if (!lossy) return;
    }
  }
}
