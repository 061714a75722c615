/**
 * A sleeping ring side is woken for what it waits for, and only for that (ring layout
 * version 3): a client asleep for its answer is not woken when the server takes its request
 * (that frees room, which the client is not waiting for), and is woken once when the answer
 * is published; a side asleep for room is woken when the peer takes bytes. The sleeping
 * flag is set by hand to what a sleeping side would have stored, and the server's wake-ups
 * are counted by its sleeper: one thread, no timing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocFrame, stampFrame } from '../bench/frame.js';
import { FrameKind } from '../core/frame-format.js';
import { initSegment, LAYOUT, segmentBytes, ShmChannel, SleepingWakeUp, sleepingWords, WAITING_FOR, type Sleeper, type WakeUp } from '../bench/shm-ring.js';

const frame = (seq: number): Uint8Array => stampFrame(allocFrame(64), FrameKind.Data, seq);
const idle: WakeUp = { wait: () => false, wakePeer: () => {} };

function pair(): { ctl: Int32Array; client: ShmChannel; server: ShmChannel; wakes: () => number } {
  const seg = initSegment(new Uint8Array(new SharedArrayBuffer(segmentBytes(4096))), 4096);
  let wakes = 0;
  const sleeper = { arm: () => 0, sleep: () => true, wake: () => void wakes++, bumped: () => true };
  const server = new ShmChannel({ role: 'server', segment: seg, wake: new SleepingWakeUp(seg.ctl, sleepingWords('server'), sleeper), silenceMs: 1000, label: 'server', release: () => {} });
  const client = new ShmChannel({ role: 'client', segment: seg, wake: idle, silenceMs: 1000, label: 'client', release: () => {} });
  return { ctl: seg.ctl, client, server, wakes: () => wakes };
}

test('a side asleep for its answer is not woken when the peer takes its request, and is woken once by the answer', () => {
  const { ctl, client, server, wakes } = pair();
  assert.equal(client.send(frame(1)), undefined);
  Atomics.store(ctl, LAYOUT.clientSleeping, WAITING_FOR.data);
  assert.ok(server.recv() instanceof Uint8Array);
  assert.equal(wakes(), 0, 'taking the request made room, which the client does not wait for');
  assert.equal(Atomics.load(ctl, LAYOUT.clientSleeping), WAITING_FOR.data, 'the flag is left to its owner');
  assert.equal(server.send(frame(1)), undefined);
  assert.equal(wakes(), 1, 'the answer wakes it');
  assert.equal(Atomics.load(ctl, LAYOUT.clientSleeping), 0, 'taken, and cleared once the wake-up returned');
  assert.ok(client.recv() instanceof Uint8Array);
});

test('a side asleep for room is woken when the peer takes bytes, not when the peer publishes its own', () => {
  const { ctl, client, server, wakes } = pair();
  assert.equal(client.send(frame(1)), undefined);
  Atomics.store(ctl, LAYOUT.clientSleeping, WAITING_FOR.room);
  assert.equal(server.send(frame(2)), undefined);
  assert.equal(wakes(), 0, 'data for the client is not the room it waits for');
  assert.ok(server.recv() instanceof Uint8Array);
  assert.equal(wakes(), 1, 'taking the client\'s frame frees its room');
  assert.equal(Atomics.load(ctl, LAYOUT.clientSleeping), 0);
});

test('closing wakes the peer whatever it waits for', async () => {
  for (const waitingFor of [WAITING_FOR.data, WAITING_FOR.room]) {
    const { ctl, server, wakes } = pair();
    Atomics.store(ctl, LAYOUT.clientSleeping, waitingFor);
    await server.close();
    assert.equal(wakes(), 1, `asleep for ${waitingFor === WAITING_FOR.data ? 'data' : 'room'}`);
  }
});

test('a wake-up posted while the side was finding its data anyway is drained, not left as a count', () => {
  // A semaphore model: posts add a count, a sleep or a drain takes one. The client raises its
  // flag to sleep for the answer; before its last look the server answers, takes the flag and
  // posts; the look finds the answer, so the client never sleeps. That post must not stay
  // behind: left, such counts reached SEMVMX (semop ERANGE) in a 10 M msg/s stream.
  const seg = initSegment(new Uint8Array(new SharedArrayBuffer(segmentBytes(4096))), 4096);
  const model = { count: 0 };
  const semaphore = (): Sleeper => ({
    arm: () => 0,
    sleep: () => (model.count > 0 ? (model.count--, false) : true),
    wake: () => void model.count++,
    drain: () => {
      if (model.count > 0) model.count--;
    },
  });
  const server = new ShmChannel({ role: 'server', segment: seg, wake: new SleepingWakeUp(seg.ctl, sleepingWords('server'), semaphore()), silenceMs: 1000, label: 'server', release: () => {} });
  const inner = new SleepingWakeUp(seg.ctl, sleepingWords('client'), semaphore());
  let looks = 0;
  const clientWake: WakeUp = {
    wait: (until, sliceMs) =>
      inner.wait(
        {
          ready: () => {
            // The first look comes before the flag goes up, the second after it.
            if (looks++ === 1) {
              assert.ok(server.recv() instanceof Uint8Array);
              assert.equal(server.send(frame(1)), undefined);
              assert.equal(model.count, 1, 'the server took the raised flag and posted');
            }
            return until.ready();
          },
          waitingFor: until.waitingFor,
        },
        sliceMs,
      ),
    wakePeer: (made) => inner.wakePeer(made),
  };
  const client = new ShmChannel({ role: 'client', segment: seg, wake: clientWake, silenceMs: 1000, label: 'client', release: () => {} });
  assert.equal(client.send(frame(1)), undefined);
  assert.ok(client.recv(50) instanceof Uint8Array);
  assert.equal(model.count, 0, 'the post the client did not sleep for was drained');
  assert.equal(Atomics.load(seg.ctl, LAYOUT.clientSleeping), 0);
});
