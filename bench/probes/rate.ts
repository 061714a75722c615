/**
 * Rate probe: open loop on a fixed schedule, corrected for coordinated omission. Message i
 * is intended for `intendedSendNs(t0, i, rate, burst)` (core/rate.ts). The client keeps ONE
 * request outstanding (an RPC client on one connection, the common sidecar pattern; no
 * pipelining), so it sends message i at max(intended_i, answer of i-1). Per message:
 * - response time = answer - intended send (what a caller on that schedule waits: a stall
 *   counts for every message that should have gone out during it);
 * - service time  = answer - actual send (what a closed-loop ping-pong reports);
 * - self lag      = actual send - max(intended, previous answer): the generator's own
 *   lateness; its p99 decides `clientBehind` (the run says the client, not the mechanism,
 *   could not keep the schedule).
 * All three go into HdrHistograms (LatencyRecorder). Every message is seq + CRC checked.
 *
 * Waiting must not burn CPU at low rates, or CPU per message at 1,000 msg/s would measure
 * the probe's pacing: the client sleeps until SPIN_NS before the intended time
 * (Atomics.wait on a private SharedArrayBuffer, a timed futex wait; event-driven channels
 * first take a timer for gaps over TIMER_MIN_GAP_NS so the event loop runs), then spins the
 * rest, because a timed wait wakes 50-100 µs late. Blocking the event loop in the sleep is
 * harmless: the only frame that can arrive is the answer to a request not sent yet.
 *
 * What CPU per message bills (the client's `clientUsPerMsg`), decided so that the number is
 * what the mechanism costs a client on that schedule:
 * - the sleep burns no CPU, so nothing is billed for it; its wake-up (the futex wait and
 *   wake, the timer) is billed: a real client idle between requests pays a wake-up too;
 * - everything from the send to the verified answer is billed, the mechanism's own spinning
 *   included (a shm spin client waiting for its echo is what "spinning costs" means);
 * - the pacing spin is not: no real client spins to hit a schedule, its requests simply
 *   arrive. It is taken out as the CPU it burned, timed on the thread's CPU clock
 *   (threadCpuNs), and reported beside it as `pacingSpinUsPerMsg`, so the client process's
 *   whole cost is the sum. It used to be timed on the wall clock, which over-subtracts when
 *   the spin is preempted (measured: 5-11 µs per message at 1k msg/s with a busy process on
 *   the client's CPU, the client's own cost then reported at half its size) and can eat into
 *   the mechanism's cost; the CPU clock cannot take out more than the spin burned.
 *
 * A search case runs the steps of `nextSearchRate` in the one pair, a short warm-up and a
 * measured window each, and reports every step plus the sustainable rate; the histograms
 * on its line are those of the highest step that held (or of the first step, when none did).
 */
import { DataFrame, FRAME_OK, frameKindOf, frameSeqOf, verifyFrame } from '../frame.js';
import { FrameKind } from '../../core/frame-format.js';
import { clientBehind, intendedSendNs, nextSearchRate, sustainableRate, sustains } from '../../core/rate.js';
import { LatencyRecorder, summarizePairs } from '../../core/latency-recorder.js';
import type { LatencyHistogramPairs, LatencyNs, PlanCase, RateStep } from '../../core/protocol.js';
import type { Channel, FrameSink } from '../mechanism.js';
import { nowNs, threadCpuNs, yieldToEventLoop } from '../clock.js';
import { EventLoopState, finishInFlight, LOSS_TIMEOUT_MS, RoundTrips, runPhase } from './latency.js';
import { begin, cpuNowUs, end } from './session.js';
import type { ProbeOutcome, ProbeSettings } from './types.js';

/** Sleep until this long before the intended send, then spin: a timed futex wait wakes 50-100 µs late. */
export const SPIN_NS = 150_000;
/** Event-driven channels wait for gaps longer than this with a timer first (the event loop runs meanwhile)... */
export const TIMER_MIN_GAP_NS = 3_000_000;
/** ...which is set to fire this early (Node timers have ms granularity and fire late on a busy host). */
const TIMER_EARLY_MS = 2;
/** At least this many measured messages per window, even at a rate too low for the window. */
const MIN_WINDOW_MESSAGES = 10;
/** A window whose schedule is this far behind (x its length) stops: the achieved rate says why. */
const WINDOW_CAP_FACTOR = 2;
/** The synchronous loop gives the event loop a turn this often. */
const YIELD_EVERY_NS = 50e6;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * What reading the thread's CPU clock costs (a system call; no vDSO for it): the pacing spin
 * ends this much early, so the read that closes it lands on the intended time instead of
 * delaying the send. The cheapest of a few reads: the uncontended cost.
 */
const CPU_READ_NS = (() => {
  let best = Infinity;
  for (let k = 0; k < 32; k++) {
    const t = nowNs();
    threadCpuNs();
    best = Math.min(best, nowNs() - t);
  }
  return Math.min(best, 20_000);
})();

/** Until `targetNs`: a timed wait (no CPU) to SPIN_NS before it, then a spin; returns the CPU ns the spin burned (0 when none was needed). */
export function sleepUntil(targetNs: number): number {
  const sleepNs = targetNs - nowNs() - SPIN_NS;
  if (sleepNs > 0) Atomics.wait(sleepCell, 0, 0, sleepNs / 1e6);
  const spinUntil = targetNs - CPU_READ_NS;
  let now = nowNs();
  let spunNs = 0;
  if (now < spinUntil) {
    const cpuFrom = threadCpuNs();
    while (now < spinUntil) now = nowNs();
    spunNs = threadCpuNs() - cpuFrom;
  }
  // Never send before the intended time (a response shorter than its service time would
  // follow): the last stretch, shorter than one CPU-clock read, is spun unaccounted.
  while (now < targetNs) now = nowNs();
  return spunNs;
}

/** The state of one window of the schedule: counts, histograms, the message in flight. */
class RateWindow {
  readonly response = new LatencyRecorder();
  readonly service = new LatencyRecorder();
  readonly selfLag = new LatencyRecorder();
  private readonly frame: DataFrame;
  seq = 0;
  /** Index of the next message in the schedule. */
  i = 0;
  sent = 0;
  received = 0;
  corrupt = 0;
  lost = 0;
  t0 = 0;
  endNs = 0;
  capNs = 0;
  lastAnswerNs = 0;
  /** The message in flight: its intended and actual send times. */
  intendedNs = 0;
  sendNs = 0;
  firstSendNs = 0;
  lastSendNs = 0;
  ratePerSec = 1;
  burst = 1;
  /** CPU time the pacing spin burned (the last SPIN_NS before each send, thread CPU clock): the probe's, not the mechanism's. */
  pacingSpinNs = 0;

  constructor(messageBytes: number, private readonly lossy: boolean) {
    this.frame = new DataFrame(messageBytes);
  }

  start(ratePerSec: number, burst: number, durationMs: number, seqFrom: number): void {
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.response.reset();
    this.service.reset();
    this.selfLag.reset();
    this.sent = this.received = this.corrupt = this.lost = 0;
    this.pacingSpinNs = 0;
    this.i = 0;
    this.seq = seqFrom;
    // Start a little ahead, so the first message is not already late.
    this.t0 = nowNs() + SPIN_NS;
    this.endNs = this.t0 + durationMs * 1e6;
    this.capNs = this.t0 + WINDOW_CAP_FACTOR * durationMs * 1e6 + 200e6;
    this.lastAnswerNs = 0;
    this.firstSendNs = 0;
    this.lastSendNs = 0;
  }

  /** The intended time of the next message, or -1 when the window is over. */
  next(): number {
    const intended = intendedSendNs(this.t0, this.i, this.ratePerSec, this.burst);
    if ((intended >= this.endNs && this.i >= MIN_WINDOW_MESSAGES) || nowNs() >= this.capNs) return -1;
    this.intendedNs = intended;
    return intended;
  }

  /** Wait for the intended time (if it is still ahead), then stamp the request: the actual send is now. */
  request(): Uint8Array {
    const ready = this.intendedNs > this.lastAnswerNs ? this.intendedNs : this.lastAnswerNs;
    this.pacingSpinNs += sleepUntil(this.intendedNs);
    const sendNs = nowNs();
    this.sendNs = sendNs;
    if (this.sent === 0) this.firstSendNs = sendNs;
    this.lastSendNs = sendNs;
    this.selfLag.record(sendNs - ready);
    this.sent++;
    return this.frame.stamp(this.seq);
  }

  /** An echo arrived at `answerNs`; false for a stale frame a lossy mechanism delivered late (keep waiting). */
  answer(echo: Uint8Array, answerNs: number): boolean {
    const intact = verifyFrame(echo) === FRAME_OK;
    if (intact && frameKindOf(echo) === FrameKind.Data && frameSeqOf(echo) === this.seq) {
      this.received++;
      this.response.record(answerNs - this.intendedNs);
      this.service.record(answerNs - this.sendNs);
    } else if (intact && this.lossy) {
      return false;
    } else {
      this.corrupt++;
    }
    this.done(answerNs);
    return true;
  }

  /** The message in flight went unanswered (lossy mechanisms): lost, not timed. */
  lose(): void {
    this.lost++;
    this.done(nowNs());
  }

  private done(answerNs: number): void {
    this.lastAnswerNs = answerNs;
    this.seq = (this.seq + 1) >>> 0;
    this.i++;
  }

  /** Messages per second over the window actually taken: first send to last send plus one burst interval. */
  achievedRatePerSec(): number {
    if (this.sent === 0) return 0;
    const spanNs = this.lastSendNs - this.t0 + (this.burst * 1e9) / this.ratePerSec;
    return (this.received + this.corrupt) / (spanNs / 1e9);
  }
}

// ---------------------------------------------------------------------------------------
// Synchronous channels: a plain loop, as the latency probe's
// ---------------------------------------------------------------------------------------

const RUN_DONE = 0;
const RUN_YIELD = 1;
const RUN_WAIT = 2;

interface SyncWait {
  send: Promise<void> | undefined;
  echo: Promise<Uint8Array | null> | undefined;
}

function syncBurst(ch: Channel, w: RateWindow, wait: SyncWait, sliceEndNs: number): number {
  for (;;) {
    if (w.next() < 0) return RUN_DONE;
    const sending = ch.send(w.request());
    if (sending !== undefined) {
      wait.send = sending;
      return RUN_WAIT;
    }
    const echo = ch.recv();
    if (echo instanceof Promise) {
      wait.echo = echo;
      return RUN_WAIT;
    }
    if (echo === null) throw new Error('the channel returned no frame without a timeout');
    const t = nowNs();
    w.answer(echo, t);
    if (t >= sliceEndNs) return RUN_YIELD;
  }
}

async function syncWindow(ch: Channel, w: RateWindow): Promise<void> {
  const wait: SyncWait = { send: undefined, echo: undefined };
  for (;;) {
    const r = syncBurst(ch, w, wait, nowNs() + YIELD_EVERY_NS);
    if (r === RUN_DONE) return;
    if (r === RUN_YIELD) {
      await yieldToEventLoop();
      continue;
    }
    // The slow path: the peer is slow; finish the message in flight asynchronously.
    const { send, echo } = wait;
    wait.send = wait.echo = undefined;
    w.answer(await finishInFlight(ch, send, echo), nowNs());
  }
}

// ---------------------------------------------------------------------------------------
// Event-driven channels: the answer's callback schedules the next send
// ---------------------------------------------------------------------------------------

function eventWindow(ch: Channel, w: RateWindow, s: ProbeSettings): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let progress = 0;
    let seen = 0;
    let timer: NodeJS.Timeout | undefined;
    const loop = new EventLoopState(ch, resolve, reject, () => {
      clearTimeout(watchdog);
      clearTimeout(timer);
    });
    const fire = (): void => {
      if (loop.finished) return;
      progress++;
      loop.send(w.request());
    };
    const sendNext = (): void => {
      if (loop.finished) return;
      if (w.next() < 0) return loop.finish();
      const gapNs = w.intendedNs - nowNs();
      // Long gaps: a timer TIMER_EARLY_MS early lets the event loop run; sleepUntil does the rest.
      if (gapNs > TIMER_MIN_GAP_NS) timer = setTimeout(fire, Math.max(0, Math.floor(gapNs / 1e6) - TIMER_EARLY_MS));
      else fire();
    };
    const afterAnswer = (): void => {
      progress++;
      loop.afterSend(sendNext);
    };
    const sink: FrameSink = {
      frame(echo) {
        if (loop.finished) return;
        const t = nowNs();
        if (!w.answer(echo, t)) return;
        afterAnswer();
      },
      fail: (err) => loop.finish(err),
    };
    const watchdog = setTimeout(
      () => {
        if (loop.finished) return;
        // A message waiting for its intended time is not silence: only an unanswered send is.
        const waiting = w.sent === w.received + w.corrupt + w.lost;
        if (progress !== seen || waiting) {
          seen = progress;
          watchdog.refresh();
          return;
        }
        if (!s.lossy) return loop.finish(new Error(`no answer from the server within ${s.silenceTimeoutMs} ms (stopped or hung?)`));
        w.lose();
        seen = progress;
        watchdog.refresh();
        afterAnswer();
      },
      s.lossy ? LOSS_TIMEOUT_MS : s.silenceTimeoutMs,
    );
    ch.listen!(sink);
    sendNext();
  });
}

function runWindow(ch: Channel, w: RateWindow, s: ProbeSettings): Promise<void> {
  return ch.listen ? eventWindow(ch, w, s) : syncWindow(ch, w);
}

// ---------------------------------------------------------------------------------------
// The probe
// ---------------------------------------------------------------------------------------

interface WindowResult {
  step: RateStep;
  responseHistogram: LatencyHistogramPairs;
  serviceHistogram: LatencyHistogramPairs;
  clientUs: number;
  pacingUs: number;
  sent: number;
  received: number;
  corrupt: number;
  lost: number;
}

function summary(pairs: LatencyHistogramPairs): LatencyNs {
  return summarizePairs(pairs);
}

const EMPTY_SUMMARY: LatencyNs = { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, stddev: 0 };

/** One measured window at `ratePerSec`. */
async function measureAt(ch: Channel, w: RateWindow, s: ProbeSettings, ratePerSec: number, burst: number, p99BudgetNs: number | undefined): Promise<WindowResult> {
  const cpuStartUs = cpuNowUs();
  w.start(ratePerSec, burst, s.measureMs, w.seq);
  await runWindow(ch, w, s);
  // The pacing spin is the generator's cost, not the mechanism's: taken out as the CPU it
  // burned (thread CPU clock, so never more than that; see the top of this file). The clamp
  // only guards the two clocks' granularity (process.cpuUsage counts in µs).
  const pacingUs = w.pacingSpinNs / 1e3;
  const clientUs = Math.max(0, cpuNowUs() - cpuStartUs - pacingUs);
  const responseHistogram = w.response.pairs();
  const serviceHistogram = w.service.pairs();
  const answered = w.response.count;
  const selfLagP99Ns = w.selfLag.count > 0 ? summary(w.selfLag.pairs()).p99 : 0;
  const behind = clientBehind(selfLagP99Ns, ratePerSec);
  const responseNs = answered > 0 ? summary(responseHistogram) : EMPTY_SUMMARY;
  const achievedRatePerSec = w.achievedRatePerSec();
  const step: RateStep = {
    ratePerSec,
    achievedRatePerSec,
    responseNs,
    serviceNs: answered > 0 ? summary(serviceHistogram) : EMPTY_SUMMARY,
    samples: answered,
    selfLagP99Ns,
    clientBehind: behind,
    lost: w.lost,
    corrupt: w.corrupt,
    clientUsPerMsg: w.sent > 0 ? clientUs / w.sent : 0,
    ok:
      answered > 0 &&
      w.corrupt === 0 &&
      sustains({ targetRatePerSec: ratePerSec, achievedRatePerSec, responseP99Ns: responseNs.p99, lost: w.lost, clientBehind: behind }, p99BudgetNs ?? Infinity),
  };
  return { step, responseHistogram, serviceHistogram, clientUs, pacingUs, sent: w.sent, received: w.received, corrupt: w.corrupt, lost: w.lost };
}

export async function rateClient(ch: Channel, s: ProbeSettings, c: PlanCase): Promise<ProbeOutcome> {
  // Closed-loop warm-up first (the process's and the plan's round trips): V8 and the channel.
  const rt = new RoundTrips(s.messageBytes, s.lossy);
  if (s.fixedWarmup) await runPhase(ch, rt, { minRoundTrips: s.fixedWarmup.roundTrips, durationMs: 0, capMs: s.fixedWarmup.capMs }, s);
  if (s.warmupRoundTrips > 0) await runPhase(ch, rt, { minRoundTrips: s.warmupRoundTrips, durationMs: 0 }, s);
  const w = new RateWindow(s.messageBytes, s.lossy);
  const burst = c.burst ?? 1;
  // Then the plan's warm-up time on the schedule itself (the first rate), so the rate loop is warm too.
  if (s.warmupMs > 0) {
    w.start(c.ratePerSec ?? c.search!.startRatePerSec, burst, s.warmupMs, rt.seq);
    await runWindow(ch, w, s);
  }
  await begin(ch, s.lossy, s.silenceTimeoutMs, s.messageBytes);
  // Search steps follow each other without a warm-up: one request is outstanding at a time,
  // so no queue carries over from one step to the next. Seqs restart at 0 after Begin.
  w.seq = 0;
  const windows: WindowResult[] = [];
  if (c.search) {
    const opts = { startRatePerSec: c.search.startRatePerSec, maxRatePerSec: c.search.maxRatePerSec, refineSteps: 4 };
    const tried: Array<{ ratePerSec: number; ok: boolean }> = [];
    for (let rate = nextSearchRate(tried, opts); rate !== undefined; rate = nextSearchRate(tried, opts)) {
      const r = await measureAt(ch, w, s, rate, burst, c.search.p99BudgetNs);
      windows.push(r);
      tried.push({ ratePerSec: rate, ok: r.step.ok });
    }
  } else {
    windows.push(await measureAt(ch, w, s, c.ratePerSec!, burst, undefined));
  }
  const sent = windows.reduce((n, x) => n + x.sent, 0);
  const clientUs = windows.reduce((n, x) => n + x.clientUs, 0);
  const pacingUs = windows.reduce((n, x) => n + x.pacingUs, 0);
  const server = await end(ch, s.lossy, s.silenceTimeoutMs, sent);
  const received = windows.reduce((n, x) => n + x.received, 0);
  const corrupt = windows.reduce((n, x) => n + x.corrupt, 0);
  const lost = windows.reduce((n, x) => n + x.lost, 0);
  const steps = windows.map((x) => x.step);
  const sustainable = c.search ? sustainableRate(steps) : undefined;
  // The window the line's histograms describe: the fixed rate's, or the search's best step.
  const shown = windows.find((x) => x.step.ratePerSec === sustainable) ?? windows[0]!;
  if (shown.step.samples === 0) throw new Error(`no message of the measured phase was answered (${lost} of ${sent} lost)`);
  return {
    cpu: {
      clientUsPerMsg: sent > 0 ? clientUs / sent : 0,
      // The server's CPU covers every window (and the warm-ups between search steps).
      serverUsPerMsg: server.received > 0 ? server.cpuUs / server.received : 0,
    },
    integrity: { sent, received, corrupt, lost },
    pacingSpinUsPerMsg: sent > 0 ? pacingUs / sent : 0,
    ...(c.ratePerSec !== undefined ? { ratePerSec: c.ratePerSec } : {}),
    ...(c.burst !== undefined ? { burst: c.burst } : {}),
    achievedRatePerSec: shown.step.achievedRatePerSec,
    responseNs: shown.step.responseNs,
    responseHistogram: shown.responseHistogram,
    serviceNs: shown.step.serviceNs,
    serviceHistogram: shown.serviceHistogram,
    samples: shown.step.samples,
    selfLagP99Ns: shown.step.selfLagP99Ns,
    clientBehind: shown.step.clientBehind,
    ...(c.search ? { p99BudgetNs: c.search.p99BudgetNs, steps, sustainableRatePerSec: sustainable } : {}),
  };
}
