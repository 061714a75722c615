/**
 * Latency probe: round-trip ping-pong. The client stamps a frame (seq + CRC), sends it,
 * and waits for the server's verified echo; every measured round trip goes into an
 * HdrHistogram (LatencyRecorder). One-way latency is not claimed: it cannot be measured
 * honestly without a shared clock, and a round trip is what an RPC pays.
 *
 * The timing loop is the probe's own, not tinybench's. tinybench's per-iteration
 * bookkeeping (a result object per iteration, a BigInt clock read before and after, a
 * growing array of samples sorted at the end, an awaited promise per iteration for an async
 * task) measured 0.2-0.3 µs per iteration here (BENCHMARKS.md, "The timing loop"), which is
 * half of a shared-memory round trip; and an async task cannot be driven by the transport's
 * callbacks at all. So:
 * - synchronous channels (shared memory, message queues, semaphores) run round trips as a
 *   plain loop in a synchronous function (`burst`): send, recv, verify, one clock read that
 *   ends this round trip and starts the next, record. No promise, no timer, no allocation
 *   per round trip; every YIELD_EVERY_MS the loop returns to give the event loop a turn.
 * - event-driven channels (sockets, WebSocket, FIFOs, files, datagrams) deliver the echo to
 *   a callback (Channel.listen), which verifies, records and sends the next request right
 *   there. Silence is bounded by one watchdog timer per phase that progress re-arms (and,
 *   for a lossy mechanism, that declares an unanswered round trip lost), not a timer per
 *   receive.
 * Both record exactly the same span: from before the request is stamped to after the echo
 * has been verified - the probe's own cost, which env.probeOverhead measures without a kernel.
 */
import { DataFrame, FRAME_OK, frameKindOf, frameSeqOf, verifyFrame } from '../frame.js';
import { FrameKind } from '../../core/frame-format.js';
import type { Channel, FrameSink } from '../mechanism.js';
import { LatencyRecorder, summarizePairs } from '../../core/latency-recorder.js';
import { nowNs, yieldToEventLoop } from '../clock.js';
import { begin, cpuNowUs, end } from './session.js';
import type { ProbeOutcome, ProbeSettings } from './types.js';

/** A lossy mechanism's round trip still unanswered after 1-2 of these counts as lost. */
export const LOSS_TIMEOUT_MS = 200;
/** The synchronous loop gives the event loop a turn this often (signals, pipes to the harness). */
export const YIELD_EVERY_MS = 50;
/** At least this many measured round trips, even when one outlasts the budget (1 MiB on a busy host). */
export const MIN_MEASURED_ROUND_TRIPS = 10;

/**
 * One phase of a case: warm-up or the measured phase. Both run the very same code, recording
 * included (RoundTrips.startMeasuring empties the histogram after warm-up): a branch that
 * warm-up never took has no type feedback, and the optimised loop would be thrown away
 * (deoptimised, measured with --trace-deopt) at the start of the measured phase.
 */
export interface Phase {
  /** The phase lasts until both this many round trips and `durationMs` have passed... */
  minRoundTrips: number;
  durationMs: number;
  /** ...or, if set, until this much time has passed, whichever comes first. */
  capMs?: number;
}

/** A ping-pong's state: the request buffer, the seq in flight, the counts and the histogram. */
export class RoundTrips {
  readonly recorder = new LatencyRecorder();
  private readonly frame: DataFrame;
  /** The seq of the round trip in flight (or the next one). */
  seq = 0;
  measuring = false;
  sent = 0;
  received = 0;
  corrupt = 0;
  lost = 0;

  constructor(messageBytes: number, private readonly lossy: boolean) {
    this.frame = new DataFrame(messageBytes);
  }

  /** The stamped request of the round trip in flight. */
  request(): Uint8Array {
    if (this.measuring) this.sent++;
    return this.frame.stamp(this.seq);
  }

  /**
   * An echo arrived. True when it ends the round trip in flight - intact with its seq, or
   * damaged (counted corrupt: a request damaged on the way in is echoed damaged, so this
   * count covers both directions) - and false for an intact frame that is not this round
   * trip's echo, which only a lossy mechanism delivers (late): the probe keeps waiting.
   */
  answer(echo: Uint8Array): boolean {
    const intact = verifyFrame(echo) === FRAME_OK;
    if (intact && frameKindOf(echo) === FrameKind.Data && frameSeqOf(echo) === this.seq) {
      if (this.measuring) this.received++;
    } else if (intact && this.lossy) {
      // A late echo, or a second answer to a control frame that was resent.
      return false;
    } else if (this.measuring) {
      this.corrupt++;
    }
    this.seq = (this.seq + 1) >>> 0;
    return true;
  }

  /** The round trip in flight went unanswered (lossy mechanisms). */
  lose(): void {
    if (this.measuring) this.lost++;
    this.seq = (this.seq + 1) >>> 0;
  }

  /** After Begin: counts from zero, seq from 0 (the frame contract), the histogram empty. */
  startMeasuring(): void {
    this.measuring = true;
    this.seq = 0;
    this.recorder.reset();
  }
}

/** Run one phase over whichever kind of channel this is (see Channel). */
export function runPhase(ch: Channel, rt: RoundTrips, phase: Phase, s: ProbeSettings): Promise<void> {
  return ch.listen ? eventPhase(ch, rt, phase, s) : syncPhase(ch, rt, phase);
}

// ---------------------------------------------------------------------------------------
// Synchronous channels
// ---------------------------------------------------------------------------------------

/**
 * The slow path of a synchronous loop: the channel could not finish a message at once (its
 * send waits for room, or the echo has not arrived yet), so finish it asynchronously and
 * return the echo. Shared by the latency and rate probes.
 */
export async function finishInFlight(ch: Channel, send: Promise<void> | undefined, echo: Promise<Uint8Array | null> | undefined): Promise<Uint8Array> {
  let frame: Uint8Array | null;
  if (send) {
    await send;
    const r = ch.recv();
    frame = r instanceof Promise ? await r : r;
  } else {
    frame = await echo!;
  }
  if (frame === null) throw new Error('the channel returned no frame without a timeout');
  return frame;
}

/**
 * A duration in ns as a small integer when it is one (under 2.1 s: every ordinary round
 * trip). Passing a double to a function the compiler did not inline boxes it - a 16-byte
 * heap number per round trip, measured; a small integer travels unboxed.
 */
function asInt(ns: number): number {
  return ns < 0x7fffffff ? ns | 0 : ns;
}

const BURST_DONE = 0;
const BURST_YIELD = 1;
const BURST_WAIT = 2;

interface BurstState {
  /** Start of the round trip in flight (ns). */
  t0: number;
  count: number;
  /** What a channel call returned instead of completing in place (the peer is slow). */
  pendingSend: Promise<void> | undefined;
  pendingEcho: Promise<Uint8Array | null> | undefined;
}

/**
 * Round trips until the phase is done (BURST_DONE), the slice is used up (BURST_YIELD) or
 * a channel call returned a promise (BURST_WAIT, with the promise in `st`). Synchronous on
 * purpose: an async function's loop is not optimised the way a plain loop is, and awaiting
 * a value that is not a promise still costs a microtask turn.
 */
function burst(ch: Channel, rt: RoundTrips, st: BurstState, untilNs: number, minRoundTrips: number, capNs: number, sliceEndNs: number): number {
  let t0 = st.t0;
  for (;;) {
    const sending = ch.send(rt.request());
    if (sending !== undefined) {
      st.t0 = t0;
      st.pendingSend = sending;
      return BURST_WAIT;
    }
    const echo = ch.recv();
    if (echo instanceof Promise) {
      st.t0 = t0;
      st.pendingEcho = echo;
      return BURST_WAIT;
    }
    if (echo === null) throw new Error('the channel returned no frame without a timeout');
    rt.answer(echo);
    const t1 = nowNs();
    rt.recorder.record(asInt(t1 - t0));
    t0 = t1;
    // Every comparison on every iteration (no short-circuit): one that warm-up never made
    // would have no type feedback and deoptimise the loop when the measured phase makes it.
    const enough = ++st.count >= minRoundTrips;
    const late = t1 >= untilNs;
    const capped = t1 >= capNs;
    const sliceUsed = t1 >= sliceEndNs;
    if ((enough && late) || capped) return BURST_DONE;
    if (sliceUsed) return BURST_YIELD;
  }
}

async function syncPhase(ch: Channel, rt: RoundTrips, phase: Phase): Promise<void> {
  const startNs = nowNs();
  const untilNs = startNs + phase.durationMs * 1e6;
  const capNs = phase.capMs === undefined ? Infinity : startNs + phase.capMs * 1e6;
  const st: BurstState = { t0: 0, count: 0, pendingSend: undefined, pendingEcho: undefined };
  for (;;) {
    st.t0 = nowNs();
    const r = burst(ch, rt, st, untilNs, phase.minRoundTrips, capNs, st.t0 + YIELD_EVERY_MS * 1e6);
    if (r === BURST_DONE) return;
    if (r === BURST_YIELD) {
      await yieldToEventLoop();
      continue;
    }
    // The slow path: finish the round trip in flight asynchronously (its time counts).
    const { pendingSend, pendingEcho } = st;
    st.pendingSend = st.pendingEcho = undefined;
    rt.answer(await finishInFlight(ch, pendingSend, pendingEcho));
    const t1 = nowNs();
    rt.recorder.record(asInt(t1 - st.t0));
    if ((++st.count >= phase.minRoundTrips && t1 >= untilNs) || t1 >= capNs) return;
  }
}

// ---------------------------------------------------------------------------------------
// Event-driven channels
// ---------------------------------------------------------------------------------------

/**
 * What every event-driven loop (this probe's phases, the rate probe's windows) keeps besides
 * its own counts: whether it has finished, and a send the kernel took only in part (the
 * request buffer is not the loop's until it resolves). `finish` settles the loop's promise
 * once: it runs the loop's own clean-up (its timers), stops listening, and waits for that
 * send first, so a buffer is never reused or dropped while the kernel still copies it.
 */
export class EventLoopState {
  finished = false;
  private sending: Promise<void> | undefined = undefined;

  constructor(
    private readonly ch: Channel,
    private readonly resolve: () => void,
    private readonly reject: (err: Error) => void,
    /** The loop's own clean-up (clear its timers), run first when it finishes. */
    private readonly cleanUp: () => void,
  ) {}

  finish(err?: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanUp();
    this.ch.listen!(undefined);
    const settle = (): void => (err ? this.reject(err) : this.resolve());
    if (this.sending) this.sending.then(settle, (e: Error) => this.reject(err ?? e));
    else settle();
  }

  /** Send a request; a send that did not complete in place is tracked, and its failure finishes the loop. */
  send(frame: Uint8Array): void {
    const r = this.ch.send(frame);
    if (r === undefined) return;
    this.sending = r;
    r.then(
      () => {
        if (this.sending === r) this.sending = undefined;
      },
      (e: Error) => this.finish(e),
    );
  }

  /** Run `next` now, or once the send in flight has completed (a failed one finishes the loop instead). */
  afterSend(next: () => void): void {
    if (this.sending) this.sending.then(next, () => {});
    else next();
  }
}

function eventPhase(ch: Channel, rt: RoundTrips, phase: Phase, s: ProbeSettings): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const startNs = nowNs();
    const untilNs = startNs + phase.durationMs * 1e6;
    const capNs = phase.capMs === undefined ? Infinity : startNs + phase.capMs * 1e6;
    let t0 = 0;
    let count = 0;
    /** `count` at the watchdog's last tick: unchanged means a whole period without progress. */
    let seen = 0;
    const loop = new EventLoopState(ch, resolve, reject, () => clearTimeout(watchdog));

    const launch = (): void => {
      if (loop.finished) return;
      t0 = nowNs();
      loop.send(rt.request());
    };
    const roundTripDone = (t1: number): void => {
      if ((++count >= phase.minRoundTrips && t1 >= untilNs) || t1 >= capNs) loop.finish();
      else loop.afterSend(launch);
    };
    const sink: FrameSink = {
      frame(echo) {
        if (loop.finished || !rt.answer(echo)) return;
        const t1 = nowNs();
        rt.recorder.record(asInt(t1 - t0));
        roundTripDone(t1);
      },
      fail: (err) => loop.finish(err),
    };
    const watchdog = setTimeout(
      () => {
        if (loop.finished) return;
        if (count !== seen) {
          seen = count;
          watchdog.refresh();
          return;
        }
        if (!s.lossy) return loop.finish(new Error(`no answer from the server within ${s.silenceTimeoutMs} ms (stopped or hung?)`));
        // Unanswered for at least a whole period: lost. (Its late echo, if any, is stale.)
        rt.lose();
        roundTripDone(nowNs());
        seen = count;
        if (!loop.finished) watchdog.refresh();
      },
      s.lossy ? LOSS_TIMEOUT_MS : s.silenceTimeoutMs,
    );
    ch.listen!(sink);
    launch();
  });
}

// ---------------------------------------------------------------------------------------
// The probe
// ---------------------------------------------------------------------------------------

/**
 * Warm-up that ends when the probe is warm. A fixed count is too short for some channels and
 * wasted on others: measured (BENCHMARKS.md, "The small-frame path"), a fresh pair's
 * shared-memory round trip settles within ~20 ms while WebSocket's keeps getting faster for
 * hundreds of ms as V8 optimises Node's stream and ws code, and a second case's new socket
 * deoptimises some of it again. So after the plan's minimum warm-up the probe goes on in
 * windows that double in length, from SETTLE_FIRST_WINDOW_MS (and at least
 * SETTLE_WINDOW_ROUND_TRIPS, or SETTLE_WINDOW_BYTES of messages), until a window's p50 is not
 * at least SETTLE_GAIN below the window's before it - the round trip stopped getting faster -
 * or the next window would end past `capMs`. The next window lasts twice the last one's nominal
 * time or as long as the last one really took, whichever is longer: a window of large messages
 * is its minimum round trips, not its 4 or 8 ms: 16 round trips of 256 KiB over WebSocket took
 * 70-100 ms in a quick run, so judged by the nominal time, settling ran a second window and
 * overran its 150 ms cap by up to a window. Doubling lets a slow drift show as a gain (a window
 * against one half its length), where equal windows would each differ by less than the noise.
 * The counts are answered round trips; the caller records them with the time.
 */
export const SETTLE_FIRST_WINDOW_MS = 4;
export const SETTLE_WINDOW_ROUND_TRIPS = 50;
/** ...but no more than this many bytes of messages per window (16 round trips at 256 KiB): large messages settle on fewer. */
export const SETTLE_WINDOW_BYTES = 4 * 1024 * 1024;
export const SETTLE_GAIN = 0.05;

/** Run settle windows (see above); returns how many round trips they took. */
export async function settle(ch: Channel, rt: RoundTrips, s: ProbeSettings, capMs: number): Promise<number> {
  const startNs = nowNs();
  let roundTrips = 0;
  let previous = Infinity;
  const minRoundTrips = Math.max(1, Math.min(SETTLE_WINDOW_ROUND_TRIPS, Math.floor(SETTLE_WINDOW_BYTES / s.messageBytes)));
  for (let windowMs = SETTLE_FIRST_WINDOW_MS; ; windowMs *= 2) {
    const windowStartNs = nowNs();
    rt.recorder.reset();
    await runPhase(ch, rt, { minRoundTrips, durationMs: windowMs }, s);
    roundTrips += rt.recorder.count;
    if (rt.recorder.count === 0) return roundTrips; // every round trip lost (lossy): nothing to compare
    const p50 = summarizePairs(rt.recorder.pairs()).p50;
    if (p50 > previous * (1 - SETTLE_GAIN)) return roundTrips;
    previous = p50;
    const now = nowNs();
    const nextWindowMs = Math.max(2 * windowMs, (now - windowStartNs) / 1e6);
    if ((now - startNs) / 1e6 + nextWindowMs > capMs) return roundTrips;
  }
}

export async function latencyClient(ch: Channel, s: ProbeSettings): Promise<ProbeOutcome> {
  const rt = new RoundTrips(s.messageBytes, s.lossy);
  const warmupStartNs = nowNs();
  let warmupRoundTrips = 0;
  if (s.fixedWarmup) {
    await runPhase(ch, rt, { minRoundTrips: s.fixedWarmup.roundTrips, durationMs: 0, capMs: s.fixedWarmup.capMs }, s);
    warmupRoundTrips += rt.recorder.count;
  }
  if (s.warmupMs > 0 || s.warmupRoundTrips > 0) {
    rt.recorder.reset();
    await runPhase(ch, rt, { minRoundTrips: s.warmupRoundTrips, durationMs: s.warmupMs }, s);
    warmupRoundTrips += rt.recorder.count;
  }
  if (s.settleCapMs > 0) warmupRoundTrips += await settle(ch, rt, s, s.settleCapMs);
  const warmup = { roundTrips: warmupRoundTrips, ms: (nowNs() - warmupStartNs) / 1e6 };
  await begin(ch, s.lossy, s.silenceTimeoutMs, s.messageBytes);
  rt.startMeasuring();
  // CPU over the timed window only: from after the Ack to the last measured round trip.
  const cpuStartUs = cpuNowUs();
  await runPhase(ch, rt, { minRoundTrips: MIN_MEASURED_ROUND_TRIPS, durationMs: s.measureMs }, s);
  const cpuUs = cpuNowUs() - cpuStartUs;
  rt.measuring = false;
  const { sent, received, corrupt, lost } = rt;
  const server = await end(ch, s.lossy, s.silenceTimeoutMs, sent);
  const samples = rt.recorder.count;
  if (samples === 0) throw new Error(`no round trip of the measured phase was answered (${lost} of ${sent} lost)`);
  const latencyHistogram = rt.recorder.pairs();
  return {
    latencyNs: summarizePairs(latencyHistogram),
    samples,
    latencyHistogram,
    cpu: {
      clientUsPerMsg: sent > 0 ? cpuUs / sent : 0,
      serverUsPerMsg: server.received > 0 ? server.cpuUs / server.received : 0,
    },
    integrity: { sent, received, corrupt, lost },
    warmup,
  };
}
