/**
 * Run the real suite from a test: `runQuick` parses flags as `podipc run` does, adds
 * `--quick`, and runs it in-process; `assertCaseSane` holds the assertions every mechanism
 * test makes about an ok case. Tiny budgets only: the host is shared.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { LedgerEntry } from '../../bench/ipc-names.js';
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

/** One run of `mechanisms` at `sizes` on the process placement, quick budgets, plus `flags`. */
export function runOnProcess(mechanisms: readonly string[], sizes: readonly number[], flags: readonly string[] = []): Promise<ResultFile> {
  return runQuick(['--placement', 'process', '--mechanisms', mechanisms.join(','), '--sizes', sizes.join(','), '--runs', '1', ...flags]);
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
  const results = await runOnProcess(mechanisms, sizes, ['--probes', 'latency,throughput']);
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

/**
 * Collect the IPC ledger entries of this process's runs while they run: each pair's ledger
 * (pairs/<n>/shared/ipc-ledger.jsonl, written before each object is created) is removed with
 * the pair, so it is read every few milliseconds. `stop()` ends the watch and returns every
 * entry seen, once each.
 */
export function watchLedgers(): { stop: () => Promise<LedgerEntry[]> } {
  const seen = new Map<string, LedgerEntry>();
  let done = false;
  const read = (): void => {
    for (const dir of ownRunDirs()) {
      let pairs: string[] = [];
      try {
        pairs = readdirSync(join(tmpdir(), dir, 'pairs'));
      } catch {
        continue;
      }
      for (const pair of pairs) {
        let text = '';
        try {
          text = readFileSync(join(tmpdir(), dir, 'pairs', pair, 'shared', 'ipc-ledger.jsonl'), 'utf8');
        } catch {
          continue;
        }
        for (const line of text.split('\n')) {
          if (!line.trim()) continue;
          try {
            const e = JSON.parse(line) as LedgerEntry;
            seen.set(`${e.type}:${e.name ?? e.key}`, e);
          } catch {
            /* a line being written: read again next time */
          }
        }
      }
    }
  };
  const loop = (async () => {
    while (!done) {
      read();
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      done = true;
      await loop;
      return [...seen.values()];
    },
  };
}
