/**
 * Run in a child process by test/lean-paths.test.ts, with a young generation large enough
 * (--min/--max-semi-space-size=64) that no scavenge interrupts a measured phase: drives the
 * latency probe's phases over a channel built in this one process, and reports what a
 * measured phase allocated (v8 used_heap_size before and after, no GC in between), how many
 * timers and promises it created, and how many round trips it made. One JSON line on stdout.
 *
 *   node --no-concurrent-recompilation --min-semi-space-size=64 --max-semi-space-size=64 \
 *     dist/test/helpers/lean-check.js <loopback|shm-spin|mq-posix|mq-sysv|sem|tcp|uds|udp|fifo|ws> [measureMs]
 *
 * --no-concurrent-recompilation makes V8 optimise on the main thread as soon as code is hot,
 * so that after the warm-up the loop is optimised however busy the machine is: what is
 * judged is the optimised loop, which is what the probes run once warm.
 */
import { createHook } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { loopbackChannel } from '../../bench/calibrate.js';
import { IpcNames } from '../../bench/ipc-names.js';
import type { Channel, Mechanism, OpenContext } from '../../bench/mechanism.js';
import { findMechanism } from '../../bench/registry.js';
import { dirRendezvous } from '../../bench/rendezvous.js';
import { initSegment, RING_BYTES, segmentBytes, ShmChannel, spinWakeUp } from '../../bench/shm-ring.js';
import { RoundTrips, runPhase } from '../../bench/probes/latency.js';
import { serve, ServerState } from '../../bench/probes/session.js';
import type { ProbeSettings } from '../../bench/probes/types.js';

const [kind = 'loopback', measureArg = '800'] = process.argv.slice(2);
const measureMs = Number(measureArg);
const MESSAGE_BYTES = 64;

/** Bytes in the young generation, where every short-lived object is born (code and feedback go elsewhere). */
function newSpaceUsed(): number {
  return getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space')!.space_used_size;
}

/**
 * Both ends of a synchronous channel in this thread: a client send is answered at once by
 * the server end (recv, ServerState, send), as the peer process would - so the probe's
 * loop, the channel's fast paths and the server's handling all run, and nothing waits.
 */
function sameThread(client: Channel, server: Channel, close: () => Promise<void>): Channel {
  const state = new ServerState('echo', false);
  return {
    send(frame) {
      if (client.send(frame) !== undefined) throw new Error('client send did not complete in place');
      const got = server.recv();
      if (got === null || got instanceof Promise) throw new Error('server recv did not complete in place');
      const reply = state.handle(got);
      if (reply !== undefined && server.send(reply) !== undefined) throw new Error('server send did not complete in place');
    },
    recv: (timeoutMs) => client.recv(timeoutMs),
    close,
  };
}

function context(dir: string, role: 'server' | 'client', mech: string): OpenContext {
  return {
    role,
    variant: undefined,
    probe: 'latency',
    messageBytes: MESSAGE_BYTES,
    caseIndex: 0,
    volumes: { disk: dir, tmpfs: undefined },
    net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
    ipc: new IpcNames(`lean${process.pid.toString(36)}`.slice(0, 12), process.pid & 0xffff, 0, join(dir, 'ipc-ledger.jsonl')),
    rendezvous: dirRendezvous(dir, 0),
    setupTimeoutMs: 10_000,
  };
}

/** A real mechanism's two ends, opened in this process; `serverLoop` serves an event-driven one. */
async function openPair(mech: Mechanism, dir: string): Promise<{ client: Channel; server: Channel }> {
  const server = mech.open(context(dir, 'server', mech.id));
  const client = await mech.open(context(dir, 'client', mech.id));
  return { client, server: await server };
}

async function channelFor(kind: string, dir: string): Promise<{ ch: Channel; done: () => Promise<void> }> {
  if (kind === 'loopback') return { ch: loopbackChannel(), done: async () => {} };
  if (kind === 'shm-spin') {
    const bytes = new Uint8Array(new SharedArrayBuffer(segmentBytes(RING_BYTES)));
    const views = initSegment(bytes, RING_BYTES);
    const end = (role: 'server' | 'client') =>
      new ShmChannel({ role, segment: views, wake: spinWakeUp(), silenceMs: 10_000, label: `same-thread ${role}`, release: () => {} });
    const client = end('client');
    const server = end('server');
    return { ch: sameThread(client, server, async () => {}), done: async () => Promise.all([client.close(), server.close()]).then(() => {}) };
  }
  const mech = findMechanism(kind);
  if (!mech) throw new Error(`unknown channel kind ${kind}`);
  const { client, server } = await openPair(mech, dir);
  if (client.listen) {
    // Event-driven: the server end is served by the probe's own server loop, in this process.
    const served = serve(server, 'echo', false, 10_000);
    return { ch: client, done: async () => { await served.catch(() => {}); await client.close(); await server.close(); } };
  }
  return { ch: sameThread(client, server, async () => {}), done: async () => { await client.close(); await server.close(); } };
}

/** Event-driven (listens) or synchronous. */
function client(ch: Channel): boolean {
  return ch.listen !== undefined;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'podipc-lean-'));
  let gcs = 0;
  const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  const counts = { setTimeout: 0, setInterval: 0, setImmediate: 0, promises: 0, counting: false };
  for (const name of ['setTimeout', 'setInterval', 'setImmediate'] as const) {
    const original = globalThis[name] as (...args: unknown[]) => unknown;
    (globalThis as Record<string, unknown>)[name] = (...args: unknown[]) => {
      if (counts.counting) counts[name]++;
      return original(...args);
    };
  }
  const hook = createHook({
    init(_id, type) {
      if (counts.counting && type === 'PROMISE') counts.promises++;
    },
  });
  try {
    const { ch, done } = await channelFor(kind, dir);
    const s: ProbeSettings = { messageBytes: MESSAGE_BYTES, warmupMs: 0, warmupRoundTrips: 0, settleCapMs: 0, measureMs, silenceTimeoutMs: 10_000, lossy: false };
    const rt = new RoundTrips(MESSAGE_BYTES, false);
    // Warm: V8 optimises the loop before the phase that is measured.
    await runPhase(ch, rt, { minRoundTrips: 20_000, durationMs: 300 }, s);
    rt.startMeasuring();
    /** One measured phase: round trips made, young-generation bytes allocated, GCs seen. */
    const phase = async (ms: number, count: boolean, minRoundTrips: number): Promise<{ roundTrips: number; bytes: number; gcs: number }> => {
      await new Promise((r) => setImmediate(r));
      const before = rt.recorder.count;
      const gcsBefore = gcs;
      const heapBefore = newSpaceUsed();
      counts.counting = count;
      await runPhase(ch, rt, { minRoundTrips, durationMs: ms }, s);
      counts.counting = false;
      const heapAfter = newSpaceUsed();
      await new Promise((r) => setTimeout(r, 10)); // let the observer see any GC of the phase
      return { roundTrips: rt.recorder.count - before, bytes: heapAfter - heapBefore, gcs: gcs - gcsBefore };
    };
    // A first measured phase settles what is left of tiering; the second is the one judged.
    const first = await phase(measureMs / 4, false, 10);
    hook.enable();
    if (process.env.LEAN_TRACE) process.stderr.write('--- measured phase starts\n');
    // Synchronous channels: enough round trips that a byte per message would show above the
    // phase's fixed costs (its yields); event-driven ones are slower, a few thousand suffice.
    const measured = await phase(measureMs, true, client(ch) ? 2000 : 50_000);
    if (process.env.LEAN_TRACE) process.stderr.write('--- measured phase ends\n');
    hook.disable();
    const { setTimeout: timeouts, setInterval: intervals, setImmediate: immediates, promises } = counts;
    process.stdout.write(
      JSON.stringify({
        kind,
        first,
        measured,
        bytesPerRoundTrip: measured.bytes / measured.roundTrips,
        received: rt.received,
        corrupt: rt.corrupt,
        setTimeout: timeouts,
        setInterval: intervals,
        setImmediate: immediates,
        promises,
      }) + '\n',
    );
    // A sync channel's End/Summary is not needed here: close both ends.
    if (ch.listen) {
      const { begin, end } = await import('../../bench/probes/session.js');
      void begin;
      await end(ch, false, 10_000, rt.sent).catch(() => {});
    }
    await done();
  } finally {
    observer.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`lean-check: ${err.stack ?? err.message}\n`);
    process.exit(2);
  },
);
