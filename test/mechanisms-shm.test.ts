/**
 * shm-sysv and shm-posix, every wake-up variant, for real: both probes through the process
 * placement at 64 B, 64 KiB and 1 MiB (four times the ring: streamed in pieces), tiny
 * budgets. Every case is ok and intact, and afterwards no segment, semaphore or /dev/shm
 * file of the run is left.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { IpcNames, SYSV_KEY_BASE } from '../bench/ipc-names.js';
import type { OpenContext } from '../bench/mechanism.js';
import { shmTypedArray } from '../bench/mechanisms/shm-common.js';
import { findMechanism } from '../bench/registry.js';
import { dirRendezvous } from '../bench/rendezvous.js';
import { RING_BYTES } from '../bench/shm-ring.js';
import { caseKey } from '../core/results.js';
import { assertCaseSane, runQuick } from './helpers/suite.js';

const shmPosix = findMechanism('shm-posix')!;
const shmSysv = findMechanism('shm-sysv')!;

/** podipc's SysV keys (top nibble 5) in /proc/sysvipc/<kind>: key, perms and owner uid. */
function sysvObjects(kind: 'shm' | 'sem' | 'msg'): Map<number, { perms: number }> {
  const out = new Map<number, { perms: number }>();
  let text = '';
  try {
    text = readFileSync(`/proc/sysvipc/${kind}`, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n').slice(1)) {
    const [key, , perms] = line.trim().split(/\s+/);
    if (key === undefined || perms === undefined) continue;
    const k = Number(key) >>> 0;
    if ((k & 0xf0000000) >>> 0 === SYSV_KEY_BASE >>> 0) out.set(k, { perms: parseInt(perms, 8) }); // printed in octal
  }
  return out;
}

/** podipc's POSIX shm objects and named semaphores in /dev/shm. */
function devShmObjects(): Set<string> {
  try {
    return new Set(readdirSync('/dev/shm').filter((n) => /^(sem\.)?podipc-/.test(n) && !statSync(`/dev/shm/${n}`).isDirectory()));
  } catch {
    return new Set();
  }
}

const newSince = <T>(before: Set<T> | Map<T, unknown>, now: Iterable<T>): T[] => [...now].filter((x) => !before.has(x));

test('shm-sysv and shm-posix: spin, futex and sem carry 64 B to 1 MiB intact through both probes and leave nothing behind', async () => {
  const before = { shm: sysvObjects('shm'), sem: sysvObjects('sem'), dev: devShmObjects() };
  // Watch the run's objects while it runs: they must exist (so the "nothing left" check
  // below is not vacuous) and be owner-only.
  const seen = { shm: new Map<number, { perms: number }>(), sem: new Map<number, { perms: number }>(), dev: new Map<string, number>() };
  const watch = setInterval(() => {
    for (const kind of ['shm', 'sem'] as const) for (const [k, v] of sysvObjects(kind)) if (!before[kind].has(k)) seen[kind].set(k, v);
    for (const n of newSince(before.dev, devShmObjects())) {
      try {
        seen.dev.set(n, statSync(`/dev/shm/${n}`).mode & 0o777);
      } catch {
        /* removed meanwhile */
      }
    }
  }, 5);

  let results;
  try {
    results = await runQuick(['--placement', 'process', '--mechanisms', 'shm-sysv,shm-posix', '--sizes', '64,65536,1048576', '--runs', '1']);
  } finally {
    clearInterval(watch);
  }

  const cases = results.cases;
  assert.equal(cases.length, 2 * 3 * 2 * 3, `cases: ${cases.map(caseKey).join(', ')}`);
  for (const c of cases) {
    assertCaseSane(c, { lossless: true });
    assert.equal(c.integrity?.corrupt, 0);
    assert.equal(c.integrity?.lost, 0);
  }
  for (const mechanism of ['shm-sysv', 'shm-posix']) {
    for (const variant of ['spin', 'futex', 'sem']) {
      assert.equal(cases.filter((c) => c.mechanism === mechanism && c.variant === variant && c.status === 'ok').length, 6, `${mechanism}/${variant}: 2 probes x 3 sizes ok`);
    }
  }
  const big = cases.find((c) => c.messageBytes === 1048576);
  assert.ok(big && big.messageBytes > RING_BYTES, 'the 1 MiB case is larger than the ring, so it streamed in pieces');
  assert.equal(big.limits?.ringBytes, RING_BYTES, 'the ring size is reported as a limit');

  // The run created SysV segments, SysV semaphore sets and /dev/shm objects (shm + sem.*)...
  assert.ok(seen.shm.size > 0, 'never saw a SysV shm segment of the run');
  assert.ok(seen.sem.size > 0, 'never saw a SysV semaphore set of the run');
  assert.ok([...seen.dev.keys()].some((n) => !n.startsWith('sem.')), 'never saw a POSIX shm object of the run');
  assert.ok([...seen.dev.keys()].some((n) => n.startsWith('sem.')), 'never saw a POSIX named semaphore of the run');
  // ...owner-only...
  for (const [k, v] of [...seen.shm, ...seen.sem]) assert.equal(v.perms & 0o777, 0o600, `SysV key 0x${k.toString(16)} has mode ${v.perms.toString(8)}`);
  for (const [n, mode] of seen.dev) assert.equal(mode & 0o077, 0, `/dev/shm/${n} has mode ${mode.toString(8)}`);
  // ...and removed them all.
  assert.deepEqual(newSince(before.shm, sysvObjects('shm').keys()), [], 'SysV shm segments left in /proc/sysvipc/shm');
  assert.deepEqual(newSince(before.sem, sysvObjects('sem').keys()), [], 'SysV semaphore sets left in /proc/sysvipc/sem');
  assert.deepEqual(newSince(before.dev, devShmObjects()), [], 'objects left in /dev/shm');
});

test('a segment whose name or key already exists is refused with the fix, and left alone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shm-exists-'));
  const shm = shmTypedArray();
  try {
    const ctx = (ipc: IpcNames): OpenContext => ({
      role: 'server',
      variant: 'spin',
      probe: 'latency',
      messageBytes: 64,
      caseIndex: 0,
      volumes: { disk: dir, tmpfs: undefined },
      net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
      ipc,
      rendezvous: dirRendezvous(dir, 0),
      setupTimeoutMs: 1000,
    });
    const tag = `t${process.pid.toString(36)}`;
    const slot = 0xfff0 + (process.pid % 16);
    // What the server will ask for: the same run tag, slot and case give the same name/key.
    const name = new IpcNames(tag, slot, 0, join(dir, 'probe.jsonl')).posix('posix-shm', 'ring');
    const key = new IpcNames(tag, slot, 0, join(dir, 'probe.jsonl')).sysv('sysv-shm', 0);
    const squatters = [shm.create(4096, 'Uint8Array', name, '600'), shm.create(4096, 'Uint8Array', key, '600')];
    assert.ok(squatters.every((s) => s !== null), 'could not create the squatting objects');
    try {
      const ipc = new IpcNames(tag, slot, 0, join(dir, 'ledger.jsonl'));
      await assert.rejects(shmPosix.open(ctx(ipc)), new RegExp(`EEXIST.*rm /dev/shm${name}`));
      await assert.rejects(shmSysv.open(ctx(ipc)), new RegExp(`EEXIST.*ipcrm -M 0x${key.toString(16)}`));
      assert.ok(existsSync(`/dev/shm${name}`), "the other owner's POSIX object is untouched");
      assert.ok(sysvObjects('shm').has(key), "the other owner's SysV segment is untouched");
    } finally {
      shm.destroy(name);
      shm.destroy(key);
    }
    assert.equal(existsSync(`/dev/shm${name}`), false);
    assert.equal(sysvObjects('shm').has(key), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
