/**
 * One Node probe pair on this host, driven by hand-written plans: what the benchmark
 * drivers use when they need a budget the CLI does not offer (a warm-up of exactly N round
 * trips, none at all). The same protocol the harness speaks (core/protocol.ts), the same
 * entrypoint; the run's IPC objects are swept from its ledger afterwards.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { extractProbeLines, PROTOCOL_VERSION, type Plan, type PlanCase, type ProbeLine } from '../../core/protocol.js';
import { sweepLedger } from '../native/ledger.js';
import { THIS_CHECKOUT } from './podipc-cli.js';
import { NODE_PROBE_COMMAND_LINE_FLAGS } from '../../core/node-probe.js';

export interface PairOptions {
  mechanism: string;
  variant?: string;
  cases: Array<Omit<PlanCase, 'mechanism' | 'variant'>>;
  budget: Plan['budget'];
  /** Extra node flags for both sides (e.g. --trace-opt), after the probe's own (NODE_PROBE_COMMAND_LINE_FLAGS): a later value wins. */
  nodeFlags?: string[];
  /** Extra environment for both sides. */
  env?: Record<string, string>;
  /** Which probe runs each side (default node; native: build/Release/podipc_probe). */
  runtime?: { server: 'node' | 'native'; client: 'node' | 'native' };
  /** Called with each side's stderr when the pair ends. */
  onStderr?: (role: 'server' | 'client', text: string) => void;
}

export async function runProbePair(o: PairOptions): Promise<ProbeLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'podipc-pair-'));
  const shared = join(dir, 'shared');
  const disk = join(dir, 'disk');
  for (const d of [shared, disk]) mkdirSync(d, { mode: 0o700 });
  const runTag = randomBytes(4).readUInt32BE().toString(36).padStart(6, '0').slice(0, 8);
  const plan = (role: 'server' | 'client'): Plan => ({
    protocolVersion: PROTOCOL_VERSION,
    role,
    topology: 'same-pod',
    run: 0,
    cases: o.cases.map((c) => ({ ...c, mechanism: o.mechanism, ...(o.variant ? { variant: o.variant } : {}) })),
    budget: o.budget,
    dirs: { shared, disk, tmpfs: '/dev/shm' },
    net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
    ipc: { runTag, sysvSlot: randomInt(0, 0x10000) },
  });
  const entry = join(THIS_CHECKOUT, 'dist', 'bench', 'entrypoint.js');
  const start = (role: 'server' | 'client') => {
    const file = join(dir, `${role}.plan.json`);
    writeFileSync(file, JSON.stringify(plan(role)));
    const native = o.runtime?.[role] === 'native';
    const [command, args] = native
      ? [join(THIS_CHECKOUT, 'build', 'Release', 'podipc_probe'), ['--plan', file]]
      : [process.execPath, [...NODE_PROBE_COMMAND_LINE_FLAGS, ...(o.nodeFlags ?? []), entry, '--plan', file]];
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    return { child, out: () => out, err: () => err };
  };
  const server = start('server');
  const client = start('client');
  try {
    await Promise.all([once(client.child, 'exit'), once(server.child, 'exit')]);
    o.onStderr?.('server', server.err());
    o.onStderr?.('client', client.err());
    return extractProbeLines(client.out());
  } finally {
    for (const c of [server.child, client.child]) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sweepLedger(join(shared, 'ipc-ledger.jsonl')).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
