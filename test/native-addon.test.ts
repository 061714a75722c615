/**
 * The native addon against the real kernel: message queues (POSIX and SysV), futex across
 * two processes, semaphores (POSIX and SysV) and removal by key. Every error is checked for
 * its errno code and for a message that names the call and the object. Every object comes
 * from an IpcNames ledger, which a final sweep empties even when a test fails midway.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { IpcNames } from '../bench/ipc-names.js';
import { native, nativeAvailable } from '../bench/native/index.js';
import { sweepLedger } from '../bench/native/ledger.js';
import shm from 'shm-typed-array';

const ROOT = resolve(import.meta.dirname, '..', '..');
const NATIVE_URL = pathToFileURL(resolve(import.meta.dirname, '../bench/native/index.js')).href;

const dir = mkdtempSync(join(tmpdir(), 'podipc-native-test-'));
const ledger = join(dir, 'ipc-ledger.jsonl');
const tag = `nt${Math.random().toString(36).slice(2, 8)}`;
const slot = Math.floor(Math.random() * 0x10000);
let caseIndex = 0;
/** Fresh names per test: each test gets its own case index, so keys never collide. */
const names = (): IpcNames => new IpcNames(tag, slot, caseIndex++, ledger);

after(async () => {
  // The safety net: whatever a failed test left behind is in the ledger.
  if (nativeAvailable()) await sweepLedger(ledger);
  rmSync(dir, { recursive: true, force: true });
});

/** assert.throws with the errno code and message patterns. */
function throwsErrno(fn: () => unknown, code: string, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: Error & { code?: string }) => {
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

const escape = (s: string): RegExp => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

test('the addon is built and loads', () => {
  assert.equal(nativeAvailable(), true, 'build it with npm run build:native');
});

test('POSIX mq: a message goes round trip intact, attrs are as asked', () => {
  const a = native();
  const name = names().posix('posix-mq', 'rt');
  const q = a.mqOpen(name, { create: true, maxMsg: 4, msgSize: 128 });
  try {
    const peer = a.mqOpen(name, { create: false });
    try {
      assert.deepEqual(a.mqGetAttr(q), { maxMsg: 4, msgSize: 128, curMsgs: 0 });
      a.mqSend(q, Buffer.from('hello, pod'), 1000);
      assert.equal(a.mqGetAttr(q).curMsgs, 1);
      const into = new Uint8Array(128);
      const n = a.mqReceive(peer, into, 1000);
      assert.equal(Buffer.from(into.subarray(0, n)).toString(), 'hello, pod');
      assert.equal(a.mqReceive(peer, into, 20), -1, 'an empty queue times out with -1');
      assert.equal(a.mqReceive(peer, into, 0), -1, 'timeout 0 polls');
    } finally {
      a.mqClose(peer);
    }
  } finally {
    a.mqClose(q);
    assert.equal(a.mqUnlink(name), true);
  }
  assert.equal(a.mqUnlink(name), false, 'a second unlink finds nothing');
});

test('POSIX mq: a full queue makes a timed send fail with ETIMEDOUT, saying why', () => {
  const a = native();
  const name = names().posix('posix-mq', 'full');
  const q = a.mqOpen(name, { create: true, maxMsg: 2, msgSize: 64 });
  try {
    a.mqSend(q, new Uint8Array(8), 0);
    a.mqSend(q, new Uint8Array(8), 0);
    throwsErrno(() => a.mqSend(q, new Uint8Array(8), 0), 'ETIMEDOUT', escape(`mq_send('${name}')`), /stayed full \(2 of 2 messages\)/, /not draining/);
    throwsErrno(() => a.mqSend(q, new Uint8Array(8), 30), 'ETIMEDOUT', /for 30 ms/);
  } finally {
    a.mqClose(q);
    a.mqUnlink(name);
  }
});

test('POSIX mq: bad names and missing queues are refused naming the name and the fix', () => {
  const a = native();
  for (const bad of ['no-slash', '/two/slashes', '/']) {
    throwsErrno(() => a.mqOpen(bad, { create: true }), 'EINVAL', escape(`mq_open('${bad}')`), /'\/' followed by/);
  }
  const missing = names().posix('posix-mq', 'missing');
  throwsErrno(() => a.mqOpen(missing, { create: false }), 'ENOENT', escape(`mq_open('${missing}')`), /same IPC namespace/);
});

test('POSIX mq: O_EXCL refuses an existing name (EEXIST)', () => {
  const a = native();
  const name = names().posix('posix-mq', 'excl');
  const q = a.mqOpen(name, { create: true, maxMsg: 1, msgSize: 64 });
  try {
    throwsErrno(() => a.mqOpen(name, { create: true, maxMsg: 1, msgSize: 64 }), 'EEXIST', escape(name), /never attach/);
  } finally {
    a.mqClose(q);
    a.mqUnlink(name);
  }
});

test('POSIX mq: too long a message is EMSGSIZE, as is too small a receive buffer', () => {
  const a = native();
  const name = names().posix('posix-mq', 'long');
  const q = a.mqOpen(name, { create: true, maxMsg: 2, msgSize: 64 });
  try {
    throwsErrno(() => a.mqSend(q, new Uint8Array(65), 0), 'EMSGSIZE', /65 bytes exceeds the queue's message size \(64\)/, /chunk/);
    throwsErrno(() => a.mqReceive(q, new Uint8Array(32), 0), 'EMSGSIZE', /buffer of 32 bytes/, /mqGetAttr/);
  } finally {
    a.mqClose(q);
    a.mqUnlink(name);
  }
});

test('POSIX mq: a message size above fs.mqueue.msgsize_max is refused naming the sysctl (unprivileged)', async (t) => {
  // Root (CAP_SYS_RESOURCE) may exceed the sysctl up to the hard limit, so ask a child
  // running without that capability, as a container runs; skip when setpriv is not there.
  if (spawnSync('setpriv', ['--version']).error) {
    t.skip('setpriv (util-linux) is not installed');
    return;
  }
  const name = names().posix('posix-mq', 'huge');
  const code = `
    const { native } = await import(${JSON.stringify(NATIVE_URL)});
    const { readFileSync } = await import('node:fs');
    const tooBig = Number(readFileSync('/proc/sys/fs/mqueue/msgsize_max', 'utf8')) + 1;
    try { native().mqOpen(process.env.Q, { create: true, maxMsg: 1, msgSize: tooBig }); console.log('opened'); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
  const child = spawn('setpriv', ['--inh-caps=-sys_resource', '--bounding-set=-sys_resource', process.execPath, '--input-type=module', '-e', code], {
    env: { ...process.env, Q: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const [exit] = (await once(child, 'close')) as [number | null];
  try {
    assert.equal(exit, 0, out);
    const result = JSON.parse(out) as { code: string; message: string };
    assert.equal(result.code, 'EINVAL');
    assert.match(result.message, /exceeds fs\.mqueue\.msgsize_max \(\d+\): chunk messages or raise fs\.mqueue\.msgsize_max/);
  } finally {
    native().mqUnlink(name);
  }
});

test('SysV msg: round trip by type, timeouts, full queue, too long, too small a buffer', () => {
  const a = native();
  const n = names();
  const key = n.sysv('sysv-msg', 0);
  const id = a.msgGet(key, { create: true });
  try {
    assert.equal(a.msgGet(key, { create: false }), id, 'the key finds the same queue');
    throwsErrno(() => a.msgGet(key, { create: true }), 'EEXIST', /msgget\(0x[0-9a-f]{8}\)/, /ipcrm -Q/);
    a.msgSend(id, 2, Buffer.from('to type 2'), 0);
    a.msgSend(id, 1, Buffer.from('to type 1'), 0);
    const into = new Uint8Array(8192);
    const got = a.msgReceive(id, 1, into, 1000);
    assert.equal(Buffer.from(into.subarray(0, got)).toString(), 'to type 1', 'mtype selects the message');
    assert.equal(Buffer.from(into.subarray(0, a.msgReceive(id, 2, into, 1000))).toString(), 'to type 2');
    assert.equal(a.msgReceive(id, 1, into, 0), -1, 'timeout 0 polls');
    // A real blocking wait, ended by the watchdog at the deadline.
    assert.equal(a.msgReceive(id, 1, into, 60), -1);
    throwsErrno(() => a.msgSend(id, 1, new Uint8Array(8193), 0), 'EINVAL', /8193 bytes exceeds kernel\.msgmax \(8192\)/, /chunk/);
    a.msgSend(id, 1, new Uint8Array(100), 0);
    throwsErrno(() => a.msgReceive(id, 1, new Uint8Array(10), 0), 'E2BIG', /receive buffer of 10 bytes/);
    a.msgReceive(id, 1, into, 0);
    const { qbytes } = a.msgStat(id);
    for (let sent = 0; sent + 8192 <= qbytes; sent += 8192) a.msgSend(id, 1, new Uint8Array(8192), 0);
    assert.equal(a.msgStat(id).qnum, Math.floor(qbytes / 8192));
    throwsErrno(() => a.msgSend(id, 1, new Uint8Array(8192), 0), 'ETIMEDOUT', /stayed full/, /not draining/);
    throwsErrno(() => a.msgSend(id, 1, new Uint8Array(8192), 60), 'ETIMEDOUT', /for 60 ms/);
  } finally {
    assert.equal(a.msgRemove(id), true);
  }
  assert.equal(a.msgRemove(id), false);
  throwsErrno(() => a.msgStat(id), 'EINVAL', /no such queue/);
});

test('SysV msg: a receiver blocked in another process wakes with EIDRM when the queue is removed', async () => {
  const a = native();
  const key = names().sysv('sysv-msg', 0);
  const id = a.msgGet(key, { create: true });
  const code = `
    const { native } = await import(${JSON.stringify(NATIVE_URL)});
    console.log('waiting');
    try { console.log(native().msgReceive(${id}, 1, new Uint8Array(64), 20000)); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    while (!out.includes('waiting') && child.exitCode === null) await sleep(10);
    await sleep(200); // let it enter msgrcv
    a.msgRemove(id);
    await once(child, 'close');
    const result = JSON.parse(out.split('\n')[1]!) as { code: string; message: string };
    assert.equal(result.code, 'EIDRM', out);
    assert.match(result.message, /removed while waiting: the peer closed the channel/);
  } finally {
    a.msgRemove(id);
    child.kill();
  }
});

test('futex: a wait in one process is woken from another through a shared page', async () => {
  const a = native();
  const name = names().posix('posix-shm', 'futex');
  const arr = shm.create(4, 'Int32Array', name, '600');
  assert.ok(arr, `could not create ${name}`);
  const code = `
    const { createRequire } = await import('node:module');
    const shm = createRequire(${JSON.stringify(join(ROOT, 'package.json'))})('shm-typed-array');
    const { native } = await import(${JSON.stringify(NATIVE_URL)});
    const arr = shm.get(process.env.SHM, 'Int32Array');
    console.log(native().futexWait(arr, 0, 0, 20000));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, SHM: name }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    // Keep waking without touching the word: a wake reaches only a process already asleep,
    // so woken === 1 proves the kernel matched our page with the child's.
    let woken = 0;
    for (let i = 0; i < 2000 && woken === 0 && child.exitCode === null; i++) {
      woken = a.futexWake(arr, 0, 1);
      if (woken === 0) await sleep(5);
    }
    await once(child, 'close');
    assert.equal(woken, 1, 'the child never waited on the shared word');
    assert.equal(out.trim(), '0', 'the child reports it was woken');
  } finally {
    child.kill();
    shm.destroy(name);
  }
});

test('futex: timeout returns 2, a changed word returns 1, nobody waiting wakes 0', () => {
  const a = native();
  const arr = new Int32Array(2);
  assert.equal(a.futexWait(arr, 0, 0, 20), 2);
  arr[1] = 5;
  assert.equal(a.futexWait(arr, 1, 0, 5000), 1, 'the word is 5, not 0: EAGAIN at once');
  assert.equal(a.futexWake(arr, 0, 1), 0);
  assert.throws(() => a.futexWait(arr, 2, 0, 1), /index must be an integer in 0\.\.1/);
  assert.throws(() => a.futexWait(new Uint32Array(1) as unknown as Int32Array, 0, 0, 1), /must be an Int32Array/);
});

test('POSIX semaphores: post/wait, timeout, EEXIST and ENOENT name the semaphore', () => {
  const a = native();
  const name = names().posix('posix-sem', 'sem');
  const s = a.semOpen(name, { create: true, value: 1 });
  try {
    const peer = a.semOpen(name, { create: false });
    try {
      assert.equal(a.semWait(peer, 0), true, 'initial value 1');
      assert.equal(a.semWait(peer, 0), false);
      assert.equal(a.semWait(peer, 30), false, 'a timed wait ends at the deadline');
      a.semPost(s);
      assert.equal(a.semWait(peer, 1000), true, 'a post is seen through the other handle');
    } finally {
      a.semClose(peer);
    }
    throwsErrno(() => a.semOpen(name, { create: true }), 'EEXIST', escape(`sem_open('${name}')`));
  } finally {
    a.semClose(s);
    assert.equal(a.semUnlink(name), true);
  }
  assert.equal(a.semUnlink(name), false);
  throwsErrno(() => a.semOpen(name, { create: false }), 'ENOENT', escape(name), /\/dev\/shm/);
  throwsErrno(() => a.semPost(s), 'EBADF', /closed already/);
});

test('SysV semaphores: op up/down, timeout, EEXIST, removal', () => {
  const a = native();
  const key = names().sysv('sysv-sem', 0);
  const id = a.semGet(key, 2, { create: true });
  try {
    throwsErrno(() => a.semGet(key, 2, { create: true }), 'EEXIST', /semget\(0x[0-9a-f]{8}\)/);
    assert.equal(a.semGet(key, 2, { create: false }), id);
    assert.equal(a.semOp(id, 1, -1, 0), false, 'starts at 0: a down would block');
    assert.equal(a.semOp(id, 1, -1, 30), false, 'a timed down ends at the deadline');
    assert.equal(a.semOp(id, 1, 1, -1), true);
    assert.equal(a.semOp(id, 1, -1, 1000), true);
    throwsErrno(() => a.semOp(id, 5, 1, 0), 'EFBIG', /semaphore number 5/);
  } finally {
    assert.equal(a.semRemove(id), true);
  }
  assert.equal(a.semRemove(id), false);
});

test('removal by key: shm, msg and sem objects go; a second removal finds nothing', () => {
  const a = native();
  const n = names();
  const shmKey = n.sysv('sysv-shm', 0);
  const msgKey = n.sysv('sysv-msg', 1);
  const semKey = n.sysv('sysv-sem', 2);
  const seg = shm.create(16, 'Uint8Array', shmKey, '600');
  assert.ok(seg, 'could not create the SysV segment');
  const msqid = a.msgGet(msgKey, { create: true });
  const semid = a.semGet(semKey, 1, { create: true });
  try {
    assert.equal(a.shmRemoveKey(shmKey), true);
    assert.equal(a.msgRemoveKey(msgKey), true);
    assert.equal(a.semRemoveKey(semKey), true);
    assert.equal(a.shmRemoveKey(shmKey), false);
    assert.equal(a.msgRemoveKey(msgKey), false);
    assert.equal(a.semRemoveKey(semKey), false);
    throwsErrno(() => a.msgGet(msgKey, { create: false }), 'ENOENT');
    assert.throws(() => a.msgRemoveKey(0), /IPC_PRIVATE/);
  } finally {
    a.msgRemove(msqid);
    a.semRemove(semid);
    shm.detach(shmKey);
  }
});
