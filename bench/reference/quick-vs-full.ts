#!/usr/bin/env node
/**
 * `npm run bench:quick-vs-full`: does `--quick` give the full profile's answer? Runs the
 * latency probe at 64 B and 1 KiB for every mechanism with `podipc run --quick` and with the
 * full profile, interleaved over several rounds in one window (the order alternates), and
 * prints per mechanism and size the median p50 of each profile, their ratio, and whether it
 * is within 25 %. Extra flags go to both runs (e.g. --placement process).
 *
 *   npm run bench:quick-vs-full -- [--rounds 3] [--json FILE] [-- podipc run flags]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { latencyP50s, load1, median, podipcRun, THIS_CHECKOUT, us } from './podipc-cli.js';

const SIZES = '64,1KiB';
const WITHIN = 0.25;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { rounds: { type: 'string', default: '3' }, json: { type: 'string' } },
    allowPositionals: true,
  });
  const rounds = Number(values.rounds);
  const base = ['--probes', 'latency', '--sizes', SIZES, '--runtime', 'node', ...positionals];
  const p50: Record<'quick' | 'full', Record<string, number[]>> = { quick: {}, full: {} };
  const wallMs: Record<'quick' | 'full', number[]> = { quick: [], full: [] };
  const loads: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const profile of round % 2 === 0 ? (['quick', 'full'] as const) : (['full', 'quick'] as const)) {
      loads.push(load1());
      const r = await podipcRun(THIS_CHECKOUT, profile === 'quick' ? ['--quick', ...base] : base);
      wallMs[profile].push(r.wallMs);
      for (const [key, v] of latencyP50s(r.results)) (p50[profile][key] ??= []).push(v);
      process.stderr.write(`round ${round + 1}/${rounds}: ${profile} in ${(r.wallMs / 1000).toFixed(1)} s (load ${load1().toFixed(1)})\n`);
    }
  }
  console.log(`--quick against the full profile: latency p50, median of ${rounds} interleaved rounds; 1-min load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
  console.log('| case | full p50 | quick p50 | quick / full | within 25 % | per-round quick / full |\n|---|--:|--:|--:|:-:|---|');
  const keys = [...new Set([...Object.keys(p50.full), ...Object.keys(p50.quick)])];
  let outside = 0;
  const rows = keys.map((key) => {
    const full = median(p50.full[key] ?? []);
    const quick = median(p50.quick[key] ?? []);
    const ratio = quick / full;
    const ok = Math.abs(ratio - 1) <= WITHIN;
    if (!ok) outside++;
    const perRound = (p50.quick[key] ?? []).map((q, i) => (q / (p50.full[key]?.[i] ?? NaN)).toFixed(2)).join(', ');
    console.log(`| ${key} B | ${us(full)} µs | ${us(quick)} µs | ${ratio.toFixed(2)} | ${ok ? 'yes' : '**no**'} | ${perRound} |`);
    return { key, full, quick, ratio, ok };
  });
  console.log(`${rows.length - outside} of ${rows.length} cases within ${WITHIN * 100} %; wall time per run: quick ${(median(wallMs.quick) / 1000).toFixed(1)} s, full ${(median(wallMs.full) / 1000).toFixed(1)} s`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows, p50, wallMs, loads }, null, 2));
}

main().catch((err: Error) => {
  console.error(`bench:quick-vs-full: ${err.message}`);
  process.exit(2);
});
