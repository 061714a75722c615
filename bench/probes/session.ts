/**
 * The control exchange both probes share: Begin/Ack opens the measured phase, End/Summary
 * closes it and brings back what only the server knows (what it received, whether it was
 * intact, and its CPU time). Lossy mechanisms resend control frames until answered.
 */
import { cpuUsage } from 'node:process';
import { checkFrame, FRAME_OK, frameKindOf, jsonFrame, jsonPayload, verifyFrame } from '../frame.js';
import { nowNs, yieldToEventLoop } from '../clock.js';
import { FrameKind } from '../../core/frame-format.js';
import type { Channel } from '../mechanism.js';
import type { Stall } from '../../core/protocol.js';

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

/** Open the measured phase; Begin (and the server's Ack) travel at the case's message size (jsonFrame). */
export async function begin(ch: Channel, lossy: boolean, deadlineMs: number, messageBytes: number): Promise<void> {
  await exchange(ch, lossy, deadlineMs, jsonFrame(FrameKind.Begin, {}, messageBytes), FrameKind.Ack);
}

export async function end(ch: Channel, lossy: boolean, deadlineMs: number, sent: number): Promise<ServerSummary> {
  const frame = await exchange(ch, lossy, deadlineMs, jsonFrame(FrameKind.End, { sent }), FrameKind.Summary);
  // Lossy: tell the server its Summary arrived, so it stops lingering for a resent End at once
  // (if this Ack is lost too, the server lingers LINGER_MS as before).
  if (lossy) await ch.send(jsonFrame(FrameKind.Ack, {}));
  const body = jsonPayload(frame) as Partial<ServerSummary>;
  if (typeof body.received !== 'number' || typeof body.corrupt !== 'number' || typeof body.cpuUs !== 'number') {
    throw new Error(`server summary is malformed: ${JSON.stringify(body)}`);
  }
  return { received: body.received, corrupt: body.corrupt, cpuUs: body.cpuUs };
}

/**
 * Lossy mechanisms: after answering End, the server answers resent Ends until the client's
 * Ack says the Summary arrived, or this long passes in silence (the Ack was lost).
 */
export const LINGER_MS = 300;
/** The server's synchronous loop gives the event loop a turn this often. */
const SERVER_YIELD_EVERY_MS = 50;

/**
 * What the server does with each frame, whichever way frames reach it: echo data frames
 * (latency) or count them (throughput), answer Begin and End. Allocation-free for data
 * frames (the echo is the received frame itself).
 */
export class ServerState {
  received = 0;
  corrupt = 0;
  private cpuStartUs = cpuNowUs();
  private begun = false;
  /** Set once End is answered; a lossy server keeps answering resent Ends with it. */
  summary: Uint8Array | undefined;
  /** True once the case is over for a lossless mechanism (End answered). */
  done = false;

  /** Test-only stall (plan case `stall`): 0 when off; else the next stall's start and its length, ns. */
  private readonly stallEveryNs: number;
  private readonly stallPauseNs: number;
  private nextStallNs = Infinity;

  constructor(
    private readonly mode: 'echo' | 'sink',
    private readonly lossy: boolean,
    stall?: Stall,
  ) {
    this.stallEveryNs = stall ? stall.everyMs * 1e6 : 0;
    this.stallPauseNs = stall ? stall.pauseMs * 1e6 : 0;
  }

  /**
   * The test-only stall: once per `everyMs` of the measured phase, stop answering for
   * `pauseMs` - a busy-wait, not a sleep, so the pause is exact and nothing else runs.
   */
  private maybeStall(): void {
    const now = nowNs();
    if (now < this.nextStallNs) return;
    const until = now + this.stallPauseNs;
    while (nowNs() < until) {
      /* the stall */
    }
    while (this.nextStallNs <= now) this.nextStallNs += this.stallEveryNs;
  }

  /** The frame to send back, if any. */
  handle(frame: Uint8Array): Uint8Array | undefined {
    const status = verifyFrame(frame);
    if (status !== FRAME_OK || frameKindOf(frame) === FrameKind.Data) {
      if (this.summary) return undefined;
      if (status === FRAME_OK) this.received++;
      else this.corrupt++;
      if (this.stallEveryNs > 0) this.maybeStall();
      // Echo even a corrupt frame: the client is waiting, and will see the damage itself.
      return this.mode === 'echo' ? frame : undefined;
    }
    const kind = frameKindOf(frame);
    if (kind === FrameKind.Begin) {
      // A resent Begin (its Ack was slow, lossy mechanisms) must not reset the measured phase.
      if (!this.begun) {
        this.begun = true;
        this.received = 0;
        this.corrupt = 0;
        this.cpuStartUs = cpuNowUs();
        if (this.stallEveryNs > 0) this.nextStallNs = nowNs() + this.stallEveryNs;
      }
      return jsonFrame(FrameKind.Ack, {}, frame.length);
    }
    if (kind === FrameKind.Ack && this.summary) {
      // The client has the Summary (lossy mechanisms): no resent End will come.
      this.done = true;
      return undefined;
    }
    if (kind === FrameKind.End) {
      this.summary ??= jsonFrame(FrameKind.Summary, { received: this.received, corrupt: this.corrupt, cpuUs: cpuNowUs() - this.cpuStartUs } satisfies ServerSummary);
      if (!this.lossy) this.done = true;
      return this.summary;
    }
    return undefined;
  }
}

/**
 * The server side of every case. Returns after answering End; for lossy mechanisms it
 * lingers to answer a resent End whose Summary was lost. Every wait is bounded by the
 * silence timeout, so a dead client ends the case instead of hanging the server.
 */
export function serve(ch: Channel, mode: 'echo' | 'sink', lossy: boolean, silenceTimeoutMs: number, stall?: Stall): Promise<void> {
  const state = new ServerState(mode, lossy, stall);
  return ch.listen ? serveEvents(ch, state, lossy, silenceTimeoutMs) : serveSync(ch, state, silenceTimeoutMs);
}

const SERVE_DONE = 0;
const SERVE_YIELD = 1;
const SERVE_WAIT = 2;

interface ServeWait {
  recv: Promise<Uint8Array | null> | undefined;
  send: Promise<void> | undefined;
}

/** Frames until the case ends, the slice is used up, or a channel call returned a promise. */
function serveBurst(ch: Channel, state: ServerState, wait: ServeWait, sliceEndNs: number): number {
  for (let i = 1; ; i++) {
    const frame = ch.recv();
    if (frame instanceof Promise) {
      wait.recv = frame;
      return SERVE_WAIT;
    }
    if (frame === null) throw new Error('the channel returned no frame without a timeout');
    const reply = state.handle(frame);
    if (reply !== undefined) {
      const sending = ch.send(reply);
      if (sending !== undefined) {
        wait.send = sending;
        return SERVE_WAIT;
      }
    }
    if (state.done) return SERVE_DONE;
    // The clock only every 256 frames: the server needs no per-message time.
    if ((i & 255) === 0 && nowNs() >= sliceEndNs) return SERVE_YIELD;
  }
}

/** Synchronous channels: recv, handle, send in a plain loop (see latency.ts `burst`). */
async function serveSync(ch: Channel, state: ServerState, silenceTimeoutMs: number): Promise<void> {
  const wait: ServeWait = { recv: undefined, send: undefined };
  for (;;) {
    const r = serveBurst(ch, state, wait, nowNs() + SERVER_YIELD_EVERY_MS * 1e6);
    if (r === SERVE_DONE) return;
    if (r === SERVE_YIELD) {
      await yieldToEventLoop();
      continue;
    }
    if (wait.send) {
      const sending = wait.send;
      wait.send = undefined;
      await sending;
    } else {
      const receiving = wait.recv!;
      wait.recv = undefined;
      const frame = await receiving;
      if (frame === null) throw new Error(`no frame from the client within ${silenceTimeoutMs} ms (stopped or hung?)`);
      const reply = state.handle(frame);
      if (reply !== undefined) {
        const sending = ch.send(reply);
        if (sending !== undefined) await sending;
      }
    }
    if (state.done) return;
  }
}

/**
 * Event-driven channels: handle each frame in the transport's callback. One watchdog per
 * case, re-armed by progress: silence for a whole period fails the case, or - after a lossy
 * mechanism's End - ends the linger.
 */
function serveEvents(ch: Channel, state: ServerState, lossy: boolean, silenceTimeoutMs: number): Promise<void> {
  const listen = ch.listen!.bind(ch);
  return new Promise<void>((resolve, reject) => {
    let frames = 0;
    /** `frames` at the watchdog's last tick: unchanged means a whole period of silence. */
    let seen = 0;
    let finished = false;
    let lingering = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: Error): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      listen(undefined);
      if (err) reject(err);
      else resolve();
    };
    const arm = (periodMs: number, onSilence: () => void): void => {
      clearTimeout(timer);
      seen = frames;
      const t = setTimeout(() => {
        if (finished) return;
        if (frames !== seen) {
          seen = frames;
          t.refresh();
          return;
        }
        onSilence();
      }, periodMs);
      timer = t;
    };
    arm(silenceTimeoutMs, () => finish(new Error(`no frame from the client within ${silenceTimeoutMs} ms (stopped or hung?)`)));
    listen({
      frame(bytes) {
        if (finished) return;
        frames++;
        const reply = state.handle(bytes);
        if (reply !== undefined) {
          // The reply is the received frame or a fresh control frame: nothing here reuses it,
          // so a send the kernel took in part needs no waiting; a failure reaches finish().
          const sending = ch.send(reply);
          if (sending !== undefined) sending.catch((e: Error) => finish(e));
        }
        if (state.done) return finish();
        if (lossy && state.summary && !lingering) {
          // Answer resent Ends (our Summary may be lost) until LINGER_MS of silence.
          lingering = true;
          arm(LINGER_MS, () => finish());
        }
      },
      // After the Summary went out, the client closing is the normal end of the case.
      fail: (err) => finish(state.summary ? undefined : err),
    });
  });
}
