/**
 * Running a podipc checkout's CLI from a benchmark driver (overhead.ts, quick-vs-full.ts):
 * `podipc run` in a child process, its results.json read back. A driver may name another
 * checkout (`--before DIR`, built) so two versions are measured interleaved in one window.
 * No harness code is imported: the CLI is the interface, as it is for a user.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { mechanismLabel } from '../../core/vocabulary.js';
import { parseResultFile, type ResultFile } from '../../core/results.js';

const run = promisify(execFile);

/** This checkout: bench/reference is dist/bench/reference once built. */
export const THIS_CHECKOUT = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

export interface PodipcRun {
  results: ResultFile;
  wallMs: number;
}

/** `podipc run ARGS --out <tmp>` in `checkout`; the results, the wall time, the temp dir gone. */
export async function podipcRun(checkout: string, args: readonly string[]): Promise<PodipcRun> {
  const out = mkdtempSync(join(tmpdir(), 'podipc-bench-'));
  try {
    const t0 = Date.now();
    await run(process.execPath, [join(checkout, 'dist', 'harness', 'cli.js'), 'run', ...args, '--out', out], { cwd: checkout, maxBuffer: 64 * 1024 * 1024 });
    const wallMs = Date.now() - t0;
    const file = join(out, 'results.json');
    return { results: parseResultFile(JSON.parse(readFileSync(file, 'utf8')), file), wallMs };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** p50 (ns) of every ok latency case, keyed "<mechanism[/variant]> <bytes>". */
export function latencyP50s(results: ResultFile): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of results.cases) {
    if (c.probe !== 'latency' || c.status !== 'ok' || !c.latencyNs || c.topology !== 'same-pod') continue;
    out.set(`${mechanismLabel(c)} ${c.messageBytes}`, c.latencyNs.p50);
  }
  return out;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** The 1-minute load average, for "how busy was the machine" next to every number. */
export function load1(): number {
  return loadavg()[0]!;
}

export const us = (ns: number): string => (Number.isFinite(ns) ? (ns / 1000).toFixed(ns < 10_000 ? 2 : 1) : '-');
