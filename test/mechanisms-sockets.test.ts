/**
 * The socket mechanisms (tcp, udp, ws, uds) run for real through both probes on the
 * process placement, with tiny budgets, at sizes that cross UDP's 65,507-byte datagram
 * limit (65536 B is two chunks, 1 MiB seventeen). Behaviour only: every case ok, nothing
 * corrupt, nothing lost where the transport is reliable, numbers present, nothing left.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { IpcNames } from '../bench/ipc-names.js';
import type { Channel, OpenContext } from '../bench/mechanism.js';
import type { Role } from '../core/vocabulary.js';
import { SUN_PATH_MAX_BYTES } from '../bench/mechanisms/uds.js';
import { findMechanism } from '../bench/registry.js';
import { allocFrame, checkFrame, stampFrame } from '../bench/frame.js';
import { FrameKind } from '../core/frame-format.js';
import { dirRendezvous } from '../bench/rendezvous.js';
import { assertCaseSane, ownRunDirs, runGrid } from './helpers/suite.js';

const uds = findMechanism('uds')!;

const MECHANISMS = ['tcp', 'udp', 'ws', 'uds'] as const;
const SIZES = [64, 65536, 1048576];

/** Run directories of this test process (the process placement records the harness pid). */
/** Processes whose parent is this test process (probes the pair runner failed to reap). */
function ownChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

test('tcp, udp, ws and uds pass both probes at 64 B, 64 KiB and 1 MiB; nothing is left behind', { timeout: 600_000 }, async (t) => {
  for (const { mechanism, probe, messageBytes, c } of await runGrid(MECHANISMS, SIZES)) {
    if (mechanism === 'udp' && c.status === 'skipped' && /net\.core\.rmem_max/.test(c.reason ?? '')) {
      // A host whose socket buffer cap cannot hold one frame: skipped naming the sysctl
      // is the designed outcome there (65536 B still exercises chunking).
      t.diagnostic(`udp ${probe} ${messageBytes} B skipped on this host: ${c.reason}`);
      continue;
    }
    // UDP under a throughput flood drops datagrams: that is the lesson, shown as `lost`.
    const lossless = mechanism !== 'udp' || probe === 'latency';
    assertCaseSane(c, { lossless });
    if (mechanism === 'udp' && probe === 'throughput') {
      const i = c.integrity!;
      assert.equal(i.received + i.lost + i.corrupt, i.sent, `udp ${messageBytes} B: every frame sent is received, lost or corrupt`);
    }
  }
  assert.deepEqual(ownRunDirs(), [], 'run directories (volumes, sockets, rendezvous) were left behind');
  assert.deepEqual(ownChildren(), [], 'probe processes were left running');
});

/** Both sides of a uds case in this process, on a scratch "volume". */
function udsContext(volume: string, role: Role, caseIndex: number): OpenContext {
  return {
    role,
    variant: undefined,
    probe: 'latency',
    messageBytes: 64,
    caseIndex,
    volumes: { disk: volume, tmpfs: undefined },
    net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
    ipc: new IpcNames('test01', 1, caseIndex, join(volume, 'ledger.jsonl')),
    rendezvous: dirRendezvous(volume, caseIndex),
    setupTimeoutMs: 5000,
  };
}

test('uds replaces a stale socket file, carries frames, and unlinks its file on close', async () => {
  const volume = mkdtempSync(join(tmpdir(), 'podipc-uds-test-'));
  try {
    const path = join(volume, 'podipc-c0.sock');
    writeFileSync(path, 'left by a crashed run');
    let server: Channel | undefined;
    let client: Channel | undefined;
    try {
      [server, client] = await Promise.all([uds.open(udsContext(volume, 'server', 0)), uds.open(udsContext(volume, 'client', 0))]);
      await client.send(stampFrame(allocFrame(64), FrameKind.Data, 7));
      const got = await server.recv();
      assert.ok(got);
      const check = checkFrame(got);
      assert.ok(check.ok && check.seq === 7, JSON.stringify(check));
    } finally {
      await client?.close();
      await server?.close();
      await server?.close(); // idempotent
    }
    assert.equal(existsSync(path), false, `${path} is still there after close`);
  } finally {
    rmSync(volume, { recursive: true, force: true });
  }
});

test('uds refuses a socket path over the sun_path limit, naming the limit and the path', async () => {
  const deep = join(tmpdir(), 'x'.repeat(SUN_PATH_MAX_BYTES));
  await assert.rejects(uds.open(udsContext(deep, 'server', 3)), (err: Error) => {
    assert.match(err.message, new RegExp(`${SUN_PATH_MAX_BYTES}-byte limit`));
    assert.ok(err.message.includes(join(deep, 'podipc-c3.sock')), err.message);
    return true;
  });
  assert.equal(existsSync(deep), false);
});
