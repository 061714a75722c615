/**
 * Run the real suite from a test: `runQuick` parses flags as `podipc run` does, adds
 * `--quick`, and runs it in-process; `assertCaseSane` holds the assertions every mechanism
 * test makes about an ok case. Tiny budgets only: the host is shared.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunArgs } from '../../harness/config.js';
import { caseKey, type CaseResult, type ResultFile } from '../../core/results.js';
import { runSuite } from '../../harness/runner.js';

/**
 * The suite's results; when the run itself throws, the error carries what it logged.
 * The Node runtime only, unless the flags name `--runtime` (native tests do).
 */
export async function runQuick(flags: string[]): Promise<ResultFile> {
  const config = parseRunArgs(['--quick', ...(flags.includes('--runtime') ? [] : ['--runtime', 'node']), ...flags]);
  if (!config) throw new Error(`runQuick: flags ${flags.join(' ')} asked for --help`);
  const log: string[] = [];
  try {
    return await runSuite(config, { log: (line) => log.push(line), signal: new AbortController().signal });
  } catch (err) {
    throw new Error(`podipc run --quick ${flags.join(' ')} threw: ${(err as Error).message}\nlog:\n${log.join('\n')}`, { cause: err });
  }
}

/** An ok case whose numbers are plausible; `lossless` also demands that nothing was lost. */
export function assertCaseSane(c: CaseResult, opts: { lossless: boolean }): void {
  const key = caseKey(c);
  assert.equal(c.status, 'ok', `${key}: status ${c.status}: ${c.reason ?? ''}`);
  assert.ok(c.integrity, `${key}: no integrity counts`);
  assert.equal(c.integrity.corrupt, 0, `${key}: ${c.integrity.corrupt} corrupt frames`);
  assert.ok(c.integrity.received > 0, `${key}: nothing received`);
  if (opts.lossless) assert.equal(c.integrity.lost, 0, `${key}: ${c.integrity.lost} frames lost`);
  if (c.probe === 'latency') {
    assert.ok(c.latencyNs && c.latencyNs.p50 > 0, `${key}: latency p50 is ${c.latencyNs?.p50}`);
  } else {
    assert.ok(c.throughput && c.throughput.msgsPerSec > 0, `${key}: throughput is ${c.throughput?.msgsPerSec} msgs/s`);
  }
}

export interface GridCase {
  mechanism: string;
  probe: 'latency' | 'throughput';
  messageBytes: number;
  c: CaseResult;
}

/**
 * Run `mechanisms` through both probes at `sizes` (one run each, process placement) and
 * return every case of that grid, failing when one is missing from the results.
 */
export async function runGrid(mechanisms: readonly string[], sizes: readonly number[]): Promise<GridCase[]> {
  const results = await runQuick([
    '--placement', 'process',
    '--mechanisms', mechanisms.join(','),
    '--sizes', sizes.join(','),
    '--probes', 'latency,throughput',
    '--runs', '1',
  ]);
  const grid: GridCase[] = [];
  for (const mechanism of mechanisms) {
    for (const probe of ['latency', 'throughput'] as const) {
      for (const messageBytes of sizes) {
        const c = results.cases.find((x) => x.mechanism === mechanism && x.probe === probe && x.messageBytes === messageBytes);
        assert.ok(c, `no case ${mechanism} ${probe} ${messageBytes} B`);
        grid.push({ mechanism, probe, messageBytes, c });
      }
    }
  }
  return grid;
}

/** process-placement run directories (tmpdir()/podipc-*) whose owner.json names this process. */
export function ownRunDirs(): string[] {
  return readdirSync(tmpdir())
    .filter((n) => n.startsWith('podipc-'))
    .filter((n) => {
      try {
        return (JSON.parse(readFileSync(join(tmpdir(), n, 'owner.json'), 'utf8')) as { pid: number }).pid === process.pid;
      } catch {
        return false;
      }
    });
}
