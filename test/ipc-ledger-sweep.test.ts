/**
 * A side that dies without closing leaves its IPC objects behind; the run's ledger names
 * every one of them, and sweepLedger removes exactly those. A child process creates one
 * object of every type with names and keys from IpcNames, then SIGKILLs itself (no exit
 * hooks, no close) - the way a crashed probe leaves things.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { IpcNames, type LedgerEntry } from '../bench/ipc-names.js';
import { native } from '../bench/native/index.js';
import { ipcObjectExists } from './helpers/ipc.js';
import { sweepLedger } from '../bench/native/ledger.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const url = (rel: string): string => pathToFileURL(resolve(import.meta.dirname, rel)).href;

const dir = mkdtempSync(join(tmpdir(), 'podipc-sweep-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Create one object of every type in a child that then dies by SIGKILL. */
async function crashAfterCreatingAll(ledger: string, tag: string, slot: number): Promise<void> {
  const code = `
    const { createRequire } = await import('node:module');
    const shm = createRequire(${JSON.stringify(join(ROOT, 'package.json'))})('shm-typed-array');
    const { native } = await import(${JSON.stringify(url('../bench/native/index.js'))});
    const { IpcNames } = await import(${JSON.stringify(url('../bench/ipc-names.js'))});
    const names = new IpcNames(${JSON.stringify(tag)}, ${slot}, 0, ${JSON.stringify(ledger)});
    const a = native();
    if (!shm.create(64, 'Uint8Array', names.posix('posix-shm', 'mbox'), '600')) throw new Error('posix shm exists');
    a.mqClose(a.mqOpen(names.posix('posix-mq', 'q'), { create: true, maxMsg: 1, msgSize: 64 }));
    a.semClose(a.semOpen(names.posix('posix-sem', 's'), { create: true }));
    if (!shm.create(64, 'Uint8Array', names.sysv('sysv-shm', 0), '600')) throw new Error('sysv shm exists');
    a.msgGet(names.sysv('sysv-msg', 1), { create: true });
    a.semGet(names.sysv('sysv-sem', 2), 1, { create: true });
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'inherit', 'inherit'] });
  const [exitCode, signal] = (await once(child, 'exit')) as [number | null, string | null];
  assert.equal(signal, 'SIGKILL', `the child failed before its crash (exit ${exitCode})`);
}

function readLedger(path: string): LedgerEntry[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry);
}

test('sweepLedger removes every object a crashed side left, of every type, and only once', async () => {
  const ledger = join(dir, 'crash-ledger.jsonl');
  const tag = `sw${Math.random().toString(36).slice(2, 8)}`;
  try {
    await crashAfterCreatingAll(ledger, tag, Math.floor(Math.random() * 0x10000));
    const entries = readLedger(ledger);
    assert.deepEqual(entries.map((e) => e.type).sort(), ['posix-mq', 'posix-sem', 'posix-shm', 'sysv-msg', 'sysv-sem', 'sysv-shm']);
    for (const e of entries) assert.equal(ipcObjectExists(e), true, `${JSON.stringify(e)} should exist before the sweep`);

    const first = await sweepLedger(ledger);
    assert.deepEqual(first.failed, []);
    assert.deepEqual(first.removed, entries);
    for (const e of entries) assert.equal(ipcObjectExists(e), false, `${JSON.stringify(e)} survived the sweep`);
    const mqName = entries.find((e) => e.type === 'posix-mq')!.name!;
    assert.equal(native().mqUnlink(mqName), false, 'the queue is gone');
    assert.equal(readdirSync('/dev/shm').some((n) => n.includes(tag)), false, '/dev/shm still holds an object of the run');

    const second = await sweepLedger(ledger);
    assert.deepEqual(second, { removed: [], failed: [] }, 'a second sweep finds nothing');
  } finally {
    await sweepLedger(ledger);
  }
});

test('sweepLedger: a missing ledger is nothing to do; bad lines are reported, good ones still swept', async () => {
  assert.deepEqual(await sweepLedger(join(dir, 'never-written.jsonl')), { removed: [], failed: [] });

  const ledger = join(dir, 'mixed-ledger.jsonl');
  const names = new IpcNames(`sw${Math.random().toString(36).slice(2, 8)}`, Math.floor(Math.random() * 0x10000), 0, ledger);
  const a = native();
  const semName = names.posix('posix-sem', 'left');
  a.semClose(a.semOpen(semName, { create: true }));
  writeFileSync(ledger, readFileSync(ledger, 'utf8') + 'not json\n{"type":"posix-shm","name":"/../../etc/passwd"}\n');
  try {
    const result = await sweepLedger(ledger);
    assert.deepEqual(result.removed, [{ type: 'posix-sem', name: semName }]);
    assert.equal(result.failed.length, 2, result.failed.join('\n'));
    assert.match(result.failed[0]!, /:2: not JSON/);
    assert.match(result.failed[1]!, /:3: bad POSIX name in ledger/);
  } finally {
    a.semUnlink(semName);
  }
});
