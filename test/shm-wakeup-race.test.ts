/**
 * The shared-memory ring's sleeping wake-up under the interleaving that used to lose
 * wake-ups, replayed step by step in one thread (no timing, no luck): the client sends a
 * request and waits for the answer; the server's taking of the request (its tail moves:
 * progress the client is NOT waiting for) lands at each point of the client's preparation
 * to sleep in turn - before its first check, at arm(), at its last check, at the sleep - and
 * only then does the answer come, while the client is asleep. The answer's wake-up must
 * reach the sleeping client every time: no sleep may end by its timer, and the channel's
 * own count (lostWakeups, what the result line reports) must stay 0.
 *
 * The futex is modelled by its contract: FUTEX_WAIT(word, armed) returns at once when the
 * word is no longer `armed`, else the caller sleeps until a FUTEX_WAKE on the word, or
 * its timeout. With the old order (announce "asleep", then arm) the injection at arm()
 * let the server take the fresh flag and bump the word before the client read it: the
 * client slept armed with the bumped value and its flag down, and the answer never woke it.
 * Since ring layout version 3 the flag says what its side waits for, and the server's taking
 * of the request (room, not data) leaves it alone (test/shm-wake-reason.test.ts), so that
 * path is closed twice; the replay still holds the answer's wake-up to every point.
 *
 * The native ring gets the same replay (test/native/ring_replay.cc, built as
 * podipc_ring_replay next to the probe), and real pairs of both probes over futex rings
 * must report integrity.lostWakeups, and report 0.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { allocFrame, checkFrame, stampFrame } from '../bench/frame.js';
import { FrameKind } from '../core/frame-format.js';
import type { CaseResult, RunResult } from '../core/results.js';
import { aggregateCase } from '../core/stats.js';
import { hasLoss } from '../harness/findings.js';
import { integrityText } from '../harness/report/tables.js';
import { bothProbes, NATIVE_PROBE, runPair, type Runtime } from './helpers/native-pair.js';
import { futexWords, initSegment, LAYOUT, segmentBytes, ShmChannel, SleepingWakeUp, sleepingWords, type WakeUp } from '../bench/shm-ring.js';

type Point = 'first check' | 'arm' | 'last check' | 'sleep';
const POINTS: readonly Point[] = ['first check', 'arm', 'last check', 'sleep'];

interface Replay {
  /** Sleeps of the client that ended by their timer (the futex model was not woken). */
  timedOut: number;
  sleeps: number;
  lostWakeups: number | undefined;
  answered: boolean;
}

function replay(inject: Point): Replay {
  const seg = initSegment(new Uint8Array(new SharedArrayBuffer(segmentBytes(4096))), 4096);
  const { ctl } = seg;
  // The futex model: who sleeps on which word, and whether a wake reached them.
  const stats = { sleeps: 0, timedOut: 0 };
  const sleeping = { clientSeq: false };
  let woken = false;
  const wakeWord = (word: number): void => {
    if (word === LAYOUT.clientSeq && sleeping.clientSeq) woken = true;
  };
  const sleeperFor = (role: 'client' | 'server', hook: (p: Point) => void) => {
    const { mySeq, peerSeq } = futexWords(role);
    return {
      arm: () => {
        hook('arm');
        return Atomics.load(ctl, mySeq);
      },
      sleep: (armed: number): boolean => {
        // FUTEX_WAIT: compare and enqueue atomically, then the peer may run.
        if (Atomics.load(ctl, mySeq) !== armed) return false;
        stats.sleeps++;
        sleeping.clientSeq = true;
        woken = false;
        hook('sleep');
        sleeping.clientSeq = false;
        if (!woken) stats.timedOut++;
        return !woken;
      },
      wake: () => {
        Atomics.add(ctl, peerSeq, 1);
        wakeWord(peerSeq);
      },
      bumped: (armed: number) => Atomics.load(ctl, mySeq) !== armed,
    };
  };

  // The server: takes the request when `inject` comes, answers once the client sleeps.
  let server: ShmChannel | undefined;
  let taken = false;
  let answered = false;
  const request = stampFrame(allocFrame(64), FrameKind.Data, 7);
  const serverActs = (p: Point): void => {
    if (!taken && p === inject) {
      taken = true;
      const got = server!.recv();
      assert.ok(got instanceof Uint8Array, 'the server takes the request');
    }
    if (p === 'sleep' && taken && !answered) {
      answered = true;
      void server!.send(stampFrame(allocFrame(64), FrameKind.Data, 7));
    }
  };
  const serverWake = new SleepingWakeUp(ctl, sleepingWords('server'), sleeperFor('server', () => {}));
  server = new ShmChannel({ role: 'server', segment: seg, wake: serverWake, silenceMs: 1000, label: 'server', release: () => {} });

  // The client's wake-up, its ready() checks hooked so the server can run between its steps.
  const inner = new SleepingWakeUp(ctl, sleepingWords('client'), sleeperFor('client', serverActs));
  let checks = 0;
  const clientWake: WakeUp = {
    wait: (until, sliceMs) =>
      inner.wait(
        {
          ready: () => {
            serverActs(checks++ === 0 ? 'first check' : 'last check');
            return until.ready();
          },
          waitingFor: until.waitingFor,
        },
        sliceMs,
      ),
    wakePeer: (made) => inner.wakePeer(made),
    lostWakeups: () => inner.lostWakeups(),
  };
  const client = new ShmChannel({ role: 'client', segment: seg, wake: clientWake, silenceMs: 1000, label: 'client', release: () => {} });

  void client.send(request);
  const echo = client.recv(50);
  assert.ok(echo instanceof Uint8Array, `injected at ${inject}: the client got its answer`);
  assert.equal(checkFrame(echo).ok, true);
  return { ...stats, lostWakeups: client.lostWakeups(), answered };
}

for (const inject of POINTS) {
  test(`a sleeping ring side is woken for its answer when the peer's unrelated progress lands at its ${inject}`, () => {
    const r = replay(inject);
    assert.ok(r.answered && r.sleeps > 0, `the client must have slept for the answer (sleeps ${r.sleeps})`);
    assert.equal(r.timedOut, 0, `${r.timedOut} of ${r.sleeps} sleeps were never woken: the answer's wake-up was lost`);
    assert.equal(r.lostWakeups, 0, 'the channel counted a lost wake-up');
  });
}

/** A client ring whose first sleep sees the server's answer arrive and is ended by its timer, not by a wake-up. */
function clientWhoseSleepEndsByTimer(seg: ReturnType<typeof initSegment>, server: ShmChannel): ShmChannel {
  const { mySeq } = futexWords('client');
  let slept = 0;
  const wake = new SleepingWakeUp(seg.ctl, sleepingWords('client'), {
    arm: () => Atomics.load(seg.ctl, mySeq),
    sleep: () => {
      // The answer arrives while we sleep, and the timer ends the sleep.
      if (slept++ === 0) void server.send(stampFrame(allocFrame(64), FrameKind.Data, 1));
      return true;
    },
    wake: () => {},
    bumped: (armed) => Atomics.load(seg.ctl, mySeq) !== armed,
  });
  return new ShmChannel({ role: 'client', segment: seg, wake, silenceMs: 1000, label: 'client', release: () => {} });
}

test('a sleep that its timer ends after the peer took the flag without bumping the word is counted as a lost wake-up', () => {
  // The counter itself, against the signature of the race: the server exchanges the
  // client's flag away for its answer, but its bump (and so its FUTEX_WAKE) never happens.
  const seg = initSegment(new Uint8Array(new SharedArrayBuffer(segmentBytes(4096))), 4096);
  const lostBump = { arm: () => 0, sleep: () => true, wake: () => {}, bumped: () => false };
  const server = new ShmChannel({ role: 'server', segment: seg, wake: new SleepingWakeUp(seg.ctl, sleepingWords('server'), lostBump), silenceMs: 1000, label: 'server', release: () => {} });
  const client = clientWhoseSleepEndsByTimer(seg, server);
  assert.equal(client.lostWakeups(), 0);
  assert.ok(client.recv(50) instanceof Uint8Array);
  assert.equal(client.lostWakeups(), 1);
  assert.equal(Atomics.load(seg.ctl, LAYOUT.clientLostWakeups), 1, "counted in the client's own control word");
});

test('a sleep that its timer ends before the peer looked at the flag is late, not lost: not counted', () => {
  // The peer published and has not reached its exchange yet (it would wake us): benign.
  const seg = initSegment(new Uint8Array(new SharedArrayBuffer(segmentBytes(4096))), 4096);
  const server = new ShmChannel({ role: 'server', segment: seg, wake: { wait: () => false, wakePeer: () => {} }, silenceMs: 1000, label: 'server', release: () => {} });
  const client = clientWhoseSleepEndsByTimer(seg, server);
  assert.ok(client.recv(50) instanceof Uint8Array);
  assert.equal(client.lostWakeups(), 0);
  assert.equal(Atomics.load(seg.ctl, LAYOUT.clientSleeping), 0, 'the flag is taken back, sparing the peer its system call');
});

const RING_REPLAY = join(NATIVE_PROBE, '..', 'podipc_ring_replay');

test('the native ring: the answer wakes the sleeping side wherever the unrelated progress lands, and a lost bump is counted', () => {
  const cases = new Map<string, { answered: boolean; sleeps: number; timedOut: number; lostWakeups: number; earlyWakes: number; error: string }>(
    execFileSync(RING_REPLAY, { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => {
        const c = JSON.parse(l) as { case: string; answered: boolean; sleeps: number; timedOut: number; lostWakeups: number; earlyWakes: number; error: string };
        return [c.case, c];
      }),
  );
  for (const at of ['arm', 'sleep']) {
    const c = cases.get(at);
    assert.ok(c, `replay case ${at} ran`);
    assert.equal(c.error, '', `injected at ${at}`);
    assert.ok(c.answered && c.sleeps > 0, `injected at ${at}: the client slept for its answer and got it`);
    assert.equal(c.timedOut, 0, `injected at ${at}: ${c.timedOut} of ${c.sleeps} sleeps were never woken: the answer's wake-up was lost`);
    assert.equal(c.lostWakeups, 0, `injected at ${at}: the channel counted a lost wake-up`);
    // Taking the request while the client sleeps for its answer frees room, which it does not
    // wait for (layout version 3): no wake-up before the answer.
    assert.equal(c.earlyWakes, 0, `injected at ${at}: the server woke the client ${c.earlyWakes} times before it answered`);
  }
  // A semaphore post the client did not sleep for (its timer ended the sleep first) is drained.
  const drain = cases.get('drain') as unknown as { answered: boolean; countLeft: number; error: string } | undefined;
  assert.ok(drain?.answered, 'the drain case ran and the client got its answer');
  assert.equal(drain.error, '');
  assert.equal(drain.countLeft, 0, 'the post the client did not sleep for was left as a count');
  const lost = cases.get('lost-bump');
  assert.ok(lost?.answered, 'the lost-bump case ran');
  assert.equal(lost.lostWakeups, 1, 'a sleep its timer ended after the flag was taken without a bump is counted');
});

const PAIRS: Array<{ mechanism: string; server: Runtime; client: Runtime }> = [
  { mechanism: 'shm-posix', server: 'native', client: 'native' },
  { mechanism: 'shm-sysv', server: 'native', client: 'native' },
  { mechanism: 'shm-posix', server: 'native', client: 'node' },
  { mechanism: 'shm-sysv', server: 'node', client: 'native' },
];

for (const { mechanism, server, client } of PAIRS) {
  test(`${mechanism}/futex, ${client} client and ${server} server: every case reports its lost wake-ups, and there are none`, { timeout: 120_000 }, async () => {
    const r = await runPair({ server, client, mechanism, variant: 'futex', cases: bothProbes([64, 1048576]), budget: { measureMs: 60 } });
    assert.equal(r.failure, undefined, r.failure);
    assert.equal(r.lines.length, 4);
    for (const line of r.lines) {
      const what = `${line.probe} ${line.messageBytes} B`;
      assert.equal(line.status, 'ok', `${what}: ${line.reason ?? ''}`);
      assert.equal(line.integrity?.lostWakeups, 0, `${what}: lost wake-ups (undefined: not counted)`);
    }
  });
}

test('wake-ups that cannot be lost are not counted: shm sem and spin carry no lostWakeups', { timeout: 120_000 }, async () => {
  for (const variant of ['sem', 'spin']) {
    const r = await runPair({ server: 'native', client: 'node', mechanism: 'shm-posix', variant, cases: [{ probe: 'latency', messageBytes: 64 }] });
    assert.equal(r.failure, undefined, r.failure);
    assert.equal(r.lines[0]?.status, 'ok', r.lines[0]?.reason);
    assert.equal(r.lines[0]?.integrity?.lostWakeups, undefined, `${variant}: nothing to count`);
  }
});

test('lost wake-ups are an integrity failure: summed over runs, flagged lossy, named in the integrity column', () => {
  const runWith = (run: number, lostWakeups?: number): RunResult => ({
    run,
    status: 'ok',
    integrity: { sent: 1000, received: 1000, corrupt: 0, lost: 0, ...(lostWakeups !== undefined ? { lostWakeups } : {}) },
  });
  const counted = aggregateCase([runWith(0, 0), runWith(1, 2), runWith(2, 1)]);
  assert.equal(counted.integrity?.lostWakeups, 3);
  assert.equal(aggregateCase([runWith(0), runWith(1)]).integrity?.lostWakeups, undefined, 'absent where nothing was counted');
  const c = { integrity: counted.integrity } as CaseResult;
  assert.equal(hasLoss(c), true);
  assert.match(integrityText(c), /✗ 3 lost wake-ups/);
  const clean = { integrity: aggregateCase([runWith(0, 0), runWith(1, 0)]).integrity } as CaseResult;
  assert.equal(hasLoss(clean), false);
  assert.match(integrityText(clean), /^✓/);
});
