/**
 * The shared-volume mechanisms (fifo, file-disk, file-tmpfs): for real through both probes
 * on the process placement with tiny budgets; real process pairs by hand to see that both
 * sides leave the volumes empty; the placement's memory volume really is a tmpfs (and the
 * disk one is not); a reader never sees half a file; the tailed log stays bounded and flow
 * controlled; a silent peer fails a case instead of hanging it. Behaviour only, no timings.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { allocFrame, checkFrame, jsonFrame, stampFrame } from '../bench/frame.js';
import { FrameKind } from '../core/frame-format.js';
import { IpcNames } from '../bench/ipc-names.js';
import { CaseSkipped } from '../bench/case-skipped.js';
import { type Channel, type Mechanism, type OpenContext } from '../bench/mechanism.js';
import { type ProbeKind, type Role } from '../core/vocabulary.js';
import { handoffLayout, logWindowBytes, onTmpfs, SEGMENT_BYTES } from '../bench/mechanisms/file-handoff.js';
import { extractProbeLines, PROTOCOL_VERSION, type Plan } from '../core/protocol.js';
import { dirRendezvous } from '../bench/rendezvous.js';
import { processPlacement } from '../harness/placements/process.js';
import { findMechanism } from '../bench/registry.js';
import { assertCaseSane, ownRunDirs, runGrid } from './helpers/suite.js';

const fifo = findMechanism('fifo')!;
const fileDisk = findMechanism('file-disk')!;
const fileTmpfs = findMechanism('file-tmpfs')!;

const run = promisify(execFile);
const MECHANISMS = ['fifo', 'file-disk', 'file-tmpfs'] as const;
const SIZES = [64, 65536, 1048576];
const DIST = resolve(import.meta.dirname, '..');
const ENTRYPOINT = join(DIST, 'bench', 'entrypoint.js');

function runTag(): string {
  return 'v' + randomBytes(4).toString('hex').slice(0, 7);
}

/** Run directories of this test process (the process placement records the harness pid). */
interface ScratchPod {
  shared: string;
  disk: string;
  tmpfs: string;
  remove(): void;
}

/** A scratch pod: shared dir and disk volume under /tmp, the memory volume under /dev/shm. */
function scratchPod(): ScratchPod {
  const root = mkdtempSync(join(tmpdir(), 'podipc-voltest-'));
  const tmpfs = mkdtempSync('/dev/shm/podipc-voltest-');
  const shared = join(root, 'shared');
  const disk = join(root, 'disk');
  mkdirSync(shared);
  mkdirSync(disk);
  return {
    shared,
    disk,
    tmpfs,
    remove() {
      rmSync(root, { recursive: true, force: true });
      rmSync(tmpfs, { recursive: true, force: true });
    },
  };
}

function context(
  pod: Pick<ScratchPod, 'shared' | 'disk'> & { tmpfs: string | undefined },
  role: Role,
  opts: { probe?: ProbeKind; messageBytes?: number; caseIndex?: number; setupTimeoutMs?: number; tag?: string } = {},
): OpenContext {
  const caseIndex = opts.caseIndex ?? 0;
  return {
    role,
    variant: undefined,
    probe: opts.probe ?? 'latency',
    messageBytes: opts.messageBytes ?? 64,
    caseIndex,
    volumes: { disk: pod.disk, tmpfs: pod.tmpfs },
    net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
    ipc: new IpcNames(opts.tag ?? 'voltest', 1, caseIndex, join(pod.shared, 'ipc-ledger.jsonl')),
    rendezvous: dirRendezvous(pod.shared, caseIndex),
    setupTimeoutMs: opts.setupTimeoutMs ?? 5000,
  };
}

/** Open both sides in this process (every open here is non-blocking, so this cannot deadlock). */
async function openPair(mech: Mechanism, server: OpenContext, client: OpenContext): Promise<{ server: Channel; client: Channel }> {
  const [s, c] = await Promise.all([mech.open(server), mech.open(client)]);
  return { server: s, client: c };
}

/** Every entry under `dir`, recursively, as relative paths. */
function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

/** The mount a path lives on, from /proc/mounts: the longest mount point that contains it. */
function mountOf(path: string): { mountPoint: string; fsType: string } {
  const real = realpathSync(path);
  let best: { mountPoint: string; fsType: string } | undefined;
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 3) continue;
    // /proc/mounts escapes space, tab, newline and backslash as octal (\040 ...).
    const mountPoint = fields[1]!.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
    const inside = mountPoint === '/' || real === mountPoint || real.startsWith(mountPoint + '/');
    // Later lines win on equal length: a mount stacked over another hides it.
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) best = { mountPoint, fsType: fields[2]! };
  }
  assert.ok(best, `no mount in /proc/mounts contains ${real}`);
  return best;
}

test('fifo, file-disk and file-tmpfs pass both probes at 64 B, 64 KiB and 1 MiB; nothing is left behind', { timeout: 600_000 }, async () => {
  for (const { c } of await runGrid(MECHANISMS, SIZES)) {
    // file-tmpfs is `ok` only if its volume passed the mechanism's statfs check for a
    // tmpfs, so this also says the probe really wrote to memory.
    assertCaseSane(c, { lossless: true });
  }
  assert.deepEqual(ownRunDirs(), [], 'run directories (volumes, FIFOs, rendezvous) were left behind');
});

test('both sides of a real process pair leave the volumes empty: no FIFOs, no case directories', { timeout: 300_000 }, async () => {
  const pod = scratchPod();
  try {
    for (const mechanism of MECHANISMS) {
      const shared = join(pod.shared, mechanism);
      mkdirSync(shared);
      const plan = (role: Role): Plan => ({
        protocolVersion: PROTOCOL_VERSION,
        role,
        topology: 'same-pod',
        run: 0,
        cases: [
          { caseIndex: 0, mechanism, probe: 'latency', messageBytes: 64 },
          { caseIndex: 1, mechanism, probe: 'throughput', messageBytes: 65536 },
        ],
        budget: { warmupMs: 5, warmupRoundTrips: 0, measureMs: 30, setupTimeoutMs: 10_000 },
        dirs: { shared, disk: pod.disk, tmpfs: pod.tmpfs },
        net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
        ipc: { runTag: runTag(), sysvSlot: randomInt(0, 0x10000) },
      });
      const side = (role: Role) => {
        const path = join(shared, `${role}.plan.json`);
        writeFileSync(path, JSON.stringify(plan(role)));
        return run(process.execPath, [ENTRYPOINT, '--plan', path], { timeout: 120_000 });
      };
      const [, client] = await Promise.all([side('server'), side('client')]);
      const lines = extractProbeLines(client.stdout);
      assert.deepEqual(lines.map((l) => `${l.probe} ${l.status} ${l.reason ?? ''}`), ['latency ok ', 'throughput ok '], `${mechanism}: ${client.stderr}`);
      assert.deepEqual(listTree(pod.disk), [], `${mechanism} left files in the disk volume`);
      assert.deepEqual(listTree(pod.tmpfs), [], `${mechanism} left files in the memory volume`);
    }
  } finally {
    pod.remove();
  }
});

test('the process placement gives file-tmpfs a real tmpfs, and file-disk a volume that is not one', async (t) => {
  const tag = runTag();
  const session = await processPlacement.open({ runTag: tag, sysvSlot: randomInt(0, 0x10000), resources: {}, log: () => {} });
  let memory: string | undefined;
  try {
    assert.ok(!session.lacks('same-pod').has('volume-tmpfs'), `the process placement offers no tmpfs volume here: ${session.lacks('same-pod').get('volume-tmpfs')}`);
    // As root the placement mounts a tmpfs of its own; otherwise it uses a directory on /dev/shm.
    const ours = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[1]?.includes(`podipc-${tag}`));
    memory = ours[0]?.[1] ?? `/dev/shm/podipc-${tag}`;
    assert.ok(existsSync(memory), `no memory volume of run ${tag}: neither a mount nor ${memory}`);
    assert.equal(mountOf(memory).fsType, 'tmpfs', `${memory} is on ${JSON.stringify(mountOf(memory))}`);
    assert.equal(onTmpfs(memory), true, "the mechanism's statfs check disagrees with /proc/mounts");

    // The disk volume lives under the OS temp dir (the pair directories of the run root).
    const disk = mountOf(tmpdir());
    t.diagnostic(`disk volume ${tmpdir()} is on ${disk.fsType} (${disk.mountPoint}); memory volume ${memory} is tmpfs`);
    assert.equal(onTmpfs(tmpdir()), disk.fsType === 'tmpfs', "the mechanism's statfs check disagrees with /proc/mounts");
    if (disk.fsType === 'tmpfs') t.skip(`${tmpdir()} is a tmpfs on this host, so file-disk measures memory here too`);
    else assert.notEqual(disk.fsType, 'tmpfs');
  } finally {
    await session.close();
  }
  assert.equal(readFileSync('/proc/mounts', 'utf8').includes(`podipc-${tag}`), false, 'the memory volume is still mounted');
  assert.equal(existsSync(memory), false, `${memory} is still there`);
});

test('file-tmpfs is skipped, naming why, when the pod has no tmpfs volume or it is not a tmpfs', async () => {
  const pod = scratchPod();
  try {
    await assert.rejects(fileTmpfs.open(context({ ...pod, tmpfs: undefined }, 'server')), (err: Error) => {
      assert.ok(err instanceof CaseSkipped, `${err.name}: ${err.message}`);
      assert.match(err.message, /no tmpfs volume/);
      return true;
    });
    // The scratch disk lives under /tmp; if that is a tmpfs here the check rightly passes.
    if (!onTmpfs(pod.disk)) {
      await assert.rejects(fileTmpfs.open(context({ ...pod, tmpfs: pod.disk }, 'server')), (err: Error) => {
        assert.ok(err instanceof CaseSkipped, `${err.name}: ${err.message}`);
        assert.match(err.message, /is not a tmpfs/);
        assert.ok(err.message.includes(pod.disk), err.message);
        return true;
      });
    }
    assert.deepEqual(listTree(pod.disk), []);
  } finally {
    pod.remove();
  }
});

/**
 * A writer in its own process, so that it writes while the reader reads. `rename`: through
 * the real channel (temp file + rename). `direct`: the control - it writes the message
 * file in place, in two halves, which a reader can catch in between.
 */
const WRITER_SCRIPT = `
import { closeSync, openSync, writeSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
const [dist, mode, ctxJson, countText] = process.argv.slice(2);
const imp = (p) => import(new URL(p, 'file://' + dist + '/'));
const fileDisk = await imp('bench/mechanisms/file-disk.js');
const { handoffLayout } = await imp('bench/mechanisms/file-handoff.js');
const { allocFrame, stampFrame } = await imp('bench/frame.js');
const { FrameKind } = await imp('core/frame-format.js');
const { IpcNames } = await imp('bench/ipc-names.js');
const { dirRendezvous } = await imp('bench/rendezvous.js');
const c = JSON.parse(ctxJson);
const ctx = { ...c, ipc: new IpcNames('voltest', 1, 0, c.ledger), rendezvous: dirRendezvous(c.shared, 0) };
const count = Number(countText);
const frames = [32, 1000, 65536, 400000].map((n) => allocFrame(n));
if (mode === 'rename') {
  const ch = await fileDisk.open(ctx);
  for (let i = 0; i < count; i++) {
    await ch.send(stampFrame(frames[i % frames.length], FrameKind.Data, i));
    if (i % 8 === 7) await new Promise((r) => setImmediate(r));
  }
  await ch.recv(20000); // the reader's go-ahead: it has everything, the directory may go
  await ch.close();
} else {
  const { dir } = await ctx.rendezvous.wait(10000);
  const layout = handoffLayout(dir);
  const frame = stampFrame(frames[2], FrameKind.Data, 0);
  for (let i = 0; i < count; i++) {
    const fd = openSync(layout.message('c2s', i), 'w');
    writeSync(fd, frame, 0, frame.byteLength / 2);
    await sleep(20);
    writeSync(fd, frame, frame.byteLength / 2);
    closeSync(fd);
  }
}
`;

async function runWriter(pod: ScratchPod, mode: 'rename' | 'direct', count: number): Promise<{ stdout: string; stderr: string }> {
  const script = join(pod.shared, 'writer.mjs');
  writeFileSync(script, WRITER_SCRIPT);
  const ctx = context({ ...pod, tmpfs: undefined }, 'client');
  const plain = { ...ctx, ipc: undefined, rendezvous: undefined, ledger: join(pod.shared, 'ipc-ledger.jsonl'), shared: pod.shared };
  return run(process.execPath, [script, DIST, mode, JSON.stringify(plain), String(count)], { timeout: 120_000 });
}

test('a reader never sees half a file: hundreds of renamed messages against a watching reader all verify', { timeout: 180_000 }, async () => {
  const COUNT = 300;
  const pod = scratchPod();
  let server: Channel | undefined;
  try {
    server = await fileDisk.open(context({ ...pod, tmpfs: undefined }, 'server', { setupTimeoutMs: 20_000 }));
    const writer = runWriter(pod, 'rename', COUNT);
    const bad: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const frame = await server.recv(20_000);
      assert.ok(frame, `message ${i} never arrived`);
      const check = checkFrame(frame);
      if (!check.ok) bad.push(`#${i}: ${check.reason} (${frame.byteLength} bytes)`);
      else if (check.seq !== i) bad.push(`#${i}: seq ${check.seq}`);
    }
    await server.send(jsonFrame(FrameKind.Ack, {}));
    await writer;
    assert.deepEqual(bad, [], 'frames read from renamed files must all verify, in order');
  } finally {
    await server?.close();
    pod.remove();
  }
});

test('control: a file written in place is caught half-written by the same reader (the check above can fail)', { timeout: 120_000 }, async () => {
  const COUNT = 10;
  const pod = scratchPod();
  let server: Channel | undefined;
  try {
    // Short setup timeout: the control writer never opens a channel, so the server's close
    // waits for it only this long before removing the directory itself.
    server = await fileDisk.open(context({ ...pod, tmpfs: undefined }, 'server', { setupTimeoutMs: 1000 }));
    const writer = runWriter(pod, 'direct', COUNT);
    let broken = 0;
    for (let i = 0; i < COUNT; i++) {
      const frame = await server.recv(20_000);
      assert.ok(frame, `message ${i} never arrived`);
      if (!checkFrame(frame).ok) broken++;
    }
    await writer;
    assert.ok(broken > 0, `none of ${COUNT} in-place writes with a 20 ms pause mid-file was caught half-written`);
  } finally {
    await server?.close();
    pod.remove();
  }
});

test('the tailed log rotates, stays within segment + window on disk, and holds the writer to its window', { timeout: 180_000 }, async () => {
  const FRAME_BYTES = 65536;
  const COUNT = Math.ceil((3 * SEGMENT_BYTES) / FRAME_BYTES);
  const windowBytes = logWindowBytes(FRAME_BYTES);
  const pod = scratchPod();
  let pair: { server: Channel; client: Channel } | undefined;
  try {
    const opts = { probe: 'throughput' as const, messageBytes: FRAME_BYTES };
    pair = await openPair(fileDisk, context({ ...pod, tmpfs: undefined }, 'server', opts), context({ ...pod, tmpfs: undefined }, 'client', opts));
    const { server, client } = pair;
    const c2s = handoffLayout(JSON.parse(readFileSync(join(pod.shared, 'case-0.ready.json'), 'utf8')).dir as string).dir('c2s');
    let sent = 0;
    const frame = allocFrame(FRAME_BYTES);
    const sender = (async () => {
      for (let i = 0; i < COUNT; i++) {
        await client.send(stampFrame(frame, FrameKind.Data, i));
        sent++;
      }
    })();
    let maxOnDiskBytes = 0;
    let maxAheadBytes = 0;
    const segmentsSeen = new Set<string>();
    for (let i = 0; i < COUNT; i++) {
      const got = await server.recv(20_000);
      assert.ok(got, `frame ${i} never arrived`);
      const check = checkFrame(got);
      assert.ok(check.ok && check.seq === i, `frame ${i}: ${JSON.stringify(check)}`);
      maxAheadBytes = Math.max(maxAheadBytes, (sent - i) * FRAME_BYTES);
      if (i % 8 === 0) {
        let bytes = 0;
        for (const name of readdirSync(c2s)) {
          segmentsSeen.add(name);
          bytes += statSync(join(c2s, name), { throwIfNoEntry: false })?.size ?? 0;
        }
        maxOnDiskBytes = Math.max(maxOnDiskBytes, bytes);
      }
    }
    await sender;
    assert.ok(segmentsSeen.size >= 3, `the log did not rotate: saw ${[...segmentsSeen].join(', ')}`);
    assert.equal(existsSync(join(c2s, 'seg-0')), false, 'a consumed segment was not deleted');
    // The segment being read (at most SEGMENT_BYTES plus the frame that crossed the line)
    // plus what the writer may have outstanding beyond it.
    const boundBytes = SEGMENT_BYTES + FRAME_BYTES + windowBytes;
    assert.ok(maxOnDiskBytes <= boundBytes, `the log held ${maxOnDiskBytes} bytes, over segment + frame + window = ${boundBytes}`);
    // Unconsumed bytes: the window, plus the frame the reader holds and the one being sent.
    assert.ok(maxAheadBytes <= windowBytes + 2 * FRAME_BYTES, `the writer ran ${maxAheadBytes} bytes ahead of the reader (window ${windowBytes})`);
  } finally {
    await pair?.client.close();
    await pair?.server.close();
    assert.deepEqual(listTree(pod.disk), [], 'the case directory was left behind');
    pod.remove();
  }
});

test('a silent peer fails the case: recv and a blocked send give up after the setup timeout', { timeout: 60_000 }, async () => {
  const pod = scratchPod();
  try {
    for (const probe of ['latency', 'throughput'] as const) {
      const opts = { probe, messageBytes: 65536, setupTimeoutMs: 300, caseIndex: probe === 'latency' ? 0 : 1 };
      const { server, client } = await openPair(fileDisk, context({ ...pod, tmpfs: undefined }, 'server', opts), context({ ...pod, tmpfs: undefined }, 'client', opts));
      try {
        // Nobody sends: a receive without timeout must not wait forever.
        await assert.rejects(Promise.resolve(client.recv()), /no message from the peer for 300 ms/);
        if (probe === 'throughput') {
          // Nobody consumes: the writer fills its window, then gives up.
          const frame = allocFrame(65536);
          await assert.rejects(
            (async () => {
              for (let i = 0; ; i++) await client.send(stampFrame(frame, FrameKind.Data, i));
            })(),
            /acknowledged nothing for 300 ms/,
          );
        }
      } finally {
        await client.close();
        await server.close();
      }
    }
    assert.deepEqual(listTree(pod.disk), []);
  } finally {
    pod.remove();
  }
});

test('fifo: carries 1 MiB both ways, sees the peer close as EOF, and unlinks both FIFOs', { timeout: 60_000 }, async () => {
  const pod = scratchPod();
  try {
    const { server, client } = await openPair(fifo, context({ ...pod, tmpfs: undefined }, 'server'), context({ ...pod, tmpfs: undefined }, 'client'));
    const fifos = readdirSync(pod.disk);
    assert.equal(fifos.length, 2, `expected two FIFOs, found ${fifos.join(', ')}`);
    for (const name of fifos) {
      const st = statSync(join(pod.disk, name));
      assert.ok(st.isFIFO(), `${name} is not a FIFO`);
      assert.equal(st.mode & 0o777, 0o600, `${name} has mode ${(st.mode & 0o777).toString(8)}`);
    }
    try {
      const big = stampFrame(allocFrame(1048576), FrameKind.Data, 3);
      // 1 MiB is 16 times a pipe's default capacity: send only completes as the reader drains.
      const [, got] = await Promise.all([client.send(big), server.recv(10_000)]);
      assert.ok(got && checkFrame(got).ok, 'client -> server frame did not verify');
      const [, back] = await Promise.all([server.send(got), client.recv(10_000)]);
      assert.ok(back && checkFrame(back).ok, 'server -> client frame did not verify');
      await client.close();
      await assert.rejects(Promise.resolve(server.recv()), /peer closed/);
    } finally {
      await client.close();
      await server.close();
      await server.close(); // idempotent
    }
    assert.deepEqual(listTree(pod.disk), [], 'FIFOs left in the volume');
  } finally {
    pod.remove();
  }
});

test('fifo: a server whose client never comes gives up after the setup timeout and removes its FIFOs', { timeout: 30_000 }, async () => {
  const pod = scratchPod();
  try {
    await assert.rejects(fifo.open(context({ ...pod, tmpfs: undefined }, 'server', { setupTimeoutMs: 300 })), /waiting for the client/);
    assert.deepEqual(listTree(pod.disk), [], 'FIFOs left in the volume');
  } finally {
    pod.remove();
  }
});
