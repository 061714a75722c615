/**
 * mq-posix, mq-sysv and sem for real, through both probes, with tiny budgets: at 64 B, at
 * one byte above the namespace's message limit (a full chunk plus a 1-byte one) and at
 * 64 KiB (eight chunks), so chunking and reassembly are exercised. Then: every object the
 * run's IPC ledgers name (POSIX and SysV queues, semaphores, the mailbox) is gone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { LedgerEntry } from '../bench/ipc-names.js';
import { describeIpcObject, ipcObjectExists } from './helpers/ipc.js';
import { sweepLedger } from '../bench/native/ledger.js';
import { readSysctl } from '../bench/native/limits.js';
import { extractProbeLines, PROTOCOL_VERSION, type Plan, type PlanCase, type ProbeLine } from '../core/protocol.js';
import { caseKey } from '../core/results.js';
import { assertCaseSane, runOnProcess, watchLedgers } from './helpers/suite.js';

const ENTRYPOINT = resolve(import.meta.dirname, '../bench/entrypoint.js');
const MECHANISMS = ['mq-posix', 'mq-sysv', 'sem'] as const;
/** One byte above both message limits: a full chunk plus a 1-byte tail. */
const ABOVE_LIMIT = Math.max(readSysctl('fs.mqueue.msgsize_max') ?? 8192, readSysctl('kernel.msgmax') ?? 8192) + 1;
const SIZES = [64, ABOVE_LIMIT, 65536];

const SEM_THROUGHPUT = /sem is a wake-up primitive with no payload stream/;
const SEM_LARGE = /sem carries no payload: its 64-byte mailbox holds one frame/;

/** Objects named in a ledger that still exist. */
function survivors(entries: LedgerEntry[]): LedgerEntry[] {
  return entries.filter(ipcObjectExists);
}

test('mq-posix, mq-sysv and sem through both probes: ok or the documented skip, intact, nothing left', async () => {
  const ledgers = watchLedgers();
  const results = await runOnProcess(MECHANISMS, SIZES, ['--topology', 'same-pod']).finally(() => ledgers.stop());
  const entries = await ledgers.stop();

  for (const c of results.cases) {
    if (c.mechanism === 'sem' && c.probe === 'throughput') {
      assert.equal(c.status, 'skipped', caseKey(c));
      assert.match(c.reason ?? '', SEM_THROUGHPUT);
    } else if (c.mechanism === 'sem' && c.messageBytes > 64) {
      assert.equal(c.status, 'skipped', caseKey(c));
      assert.match(c.reason ?? '', SEM_LARGE);
    } else {
      assertCaseSane(c, { lossless: true });
    }
  }
  // Every mechanism ran every size and probe it supports.
  assert.equal(results.cases.length, MECHANISMS.length * SIZES.length * 2);
  const ok = results.cases.filter((c) => c.status === 'ok').map(caseKey);
  assert.equal(ok.length, 2 * SIZES.length * 2 + 1, ok.join('\n'));
  const posix = results.cases.find((c) => c.mechanism === 'mq-posix' && c.messageBytes === ABOVE_LIMIT);
  assert.equal(posix?.limits?.['fs.mqueue.msgsize_max'], readSysctl('fs.mqueue.msgsize_max'), 'the limit found is recorded');
  const sysv = results.cases.find((c) => c.mechanism === 'mq-sysv' && c.messageBytes === 65536);
  assert.equal(sysv?.limits?.['kernel.msgmax'], readSysctl('kernel.msgmax'));

  for (const type of ['posix-mq', 'sysv-msg'] as const) {
    assert.ok(entries.some((e) => e.type === type), `no ${type} was ever ledgered: ${entries.map(describeIpcObject).join(', ')}`);
  }
  assert.deepEqual(survivors(entries).map(describeIpcObject), [], 'objects of the run survived it');
});

/** Run one pair of probes by hand (no harness, so no harness sweep): what close() leaves is what remains. */
async function runPairByHand(mechanism: string, cases: Array<Omit<PlanCase, 'mechanism'>>, root: string, runTag: string, sysvSlot: number): Promise<ProbeLine[]> {
  const shared = join(root, 'shared');
  const disk = join(root, 'disk');
  mkdirSync(shared, { recursive: true });
  mkdirSync(disk, { recursive: true });
  const plan = (role: Plan['role']): string => {
    const path = join(root, `${role}.plan.json`);
    const p: Plan = {
      protocolVersion: PROTOCOL_VERSION,
      role,
      topology: 'same-pod',
      run: 0,
      cases: cases.map((c) => ({ ...c, mechanism })),
      budget: { warmupMs: 10, warmupRoundTrips: 0, measureMs: 40, setupTimeoutMs: 10_000 },
      dirs: { shared, disk },
      net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
      ipc: { runTag, sysvSlot },
    };
    writeFileSync(path, JSON.stringify(p));
    return path;
  };
  const start = (role: Plan['role']) => {
    const child = spawn(process.execPath, [ENTRYPOINT, '--plan', plan(role)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    return { child, out: () => out, err: () => err, exit: once(child, 'exit') as Promise<[number | null, string | null]> };
  };
  const server = start('server');
  const client = start('client');
  const sides = [server, client];
  const killer = setTimeout(() => sides.forEach((s) => s.child.kill('SIGKILL')), 60_000);
  try {
    const [[serverCode], [clientCode]] = await Promise.all([server.exit, client.exit]);
    assert.equal(serverCode, 0, `server: ${server.err()}`);
    assert.equal(clientCode, 0, `client: ${client.err()}`);
    return extractProbeLines(client.out());
  } finally {
    clearTimeout(killer);
    sides.forEach((s) => s.child.kill('SIGKILL'));
  }
}

for (const mechanism of MECHANISMS) {
  test(`${mechanism}: both sides' close() remove every object the case created, without a sweep`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'podipc-mqsem-test-'));
    const ledger = join(root, 'shared', 'ipc-ledger.jsonl');
    const runTag = `mq${Math.random().toString(36).slice(2, 8)}`;
    try {
      const cases: Array<Omit<PlanCase, 'mechanism'>> = [
        { caseIndex: 0, probe: 'latency', messageBytes: 64 },
        ...(mechanism === 'sem' ? [] : [{ caseIndex: 1, probe: 'throughput' as const, messageBytes: ABOVE_LIMIT }]),
      ];
      const lines = await runPairByHand(mechanism, cases, root, runTag, Math.floor(Math.random() * 0x10000));
      assert.equal(lines.length, cases.length);
      for (const line of lines) {
        assert.equal(line.status, 'ok', `${line.probe} ${line.messageBytes}: ${line.reason ?? ''}`);
        assert.equal(line.integrity?.corrupt, 0);
        assert.equal(line.integrity?.lost, 0);
      }
      const entries = readFileSync(ledger, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry);
      assert.ok(entries.length >= 2, `the ledger names ${entries.length} objects`);
      assert.deepEqual(survivors(entries), [], 'close() left these behind');
    } finally {
      await sweepLedger(ledger);
      rmSync(root, { recursive: true, force: true });
    }
  });
}
