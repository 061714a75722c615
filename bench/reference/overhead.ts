#!/usr/bin/env node
/**
 * `npm run bench:overhead`: podipc's p50 round trip at 64 B against the plain-Node
 * reference ping-pongs (bench/reference/*.ts) - tcp, uds, udp, and shm-posix/spin and
 * shm-sysv/spin against shm-spin - measured interleaved, several rounds, in one window:
 * each round runs the references and `podipc run` (process placement, Node probe, the full
 * profile's budget) back to back, in an order that rotates between rounds. With
 * `--before DIR` (another podipc checkout, built) that version runs in every round too.
 * Prints the median of the rounds, the per-round values and the load average.
 *
 *   npm run bench:overhead -- [--rounds 3] [--before /path/to/podipc-checkout] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runReference, type Reference } from './run.js';
import { latencyP50s, load1, median, podipcRun, THIS_CHECKOUT, us } from './podipc-cli.js';

const PAIRS: Array<{ mechanism: string; reference: Reference }> = [
  { mechanism: 'tcp', reference: 'tcp' },
  { mechanism: 'uds', reference: 'uds' },
  { mechanism: 'udp', reference: 'udp' },
  { mechanism: 'shm-posix/spin', reference: 'shm-spin' },
  { mechanism: 'shm-sysv/spin', reference: 'shm-spin' },
];
const BYTES = 64;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      before: { type: 'string' },
      json: { type: 'string' },
      'reference-ms': { type: 'string', default: '500' },
    },
  });
  const rounds = Number(values.rounds);
  const sides = ['reference', 'after', ...(values.before ? ['before'] : [])];
  const checkouts: Record<string, string> = { after: THIS_CHECKOUT, ...(values.before ? { before: values.before } : {}) };
  /** side -> mechanism -> p50 per round */
  const p50: Record<string, Record<string, number[]>> = Object.fromEntries(sides.map((s) => [s, {}]));
  const loads: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
    for (const side of order) {
      loads.push(load1());
      if (side === 'reference') {
        for (const ref of [...new Set(PAIRS.map((p) => p.reference))]) {
          const r = await runReference(ref, BYTES, 20_000, Number(values['reference-ms']));
          (p50.reference![ref] ??= []).push(r.p50Ns);
        }
      } else {
        const { results } = await podipcRun(checkouts[side]!, [
          '--placement', 'process', '--runtime', 'node', '--probes', 'latency', '--sizes', String(BYTES), '--runs', '1',
          '--mechanisms', PAIRS.map((p) => p.mechanism).join(','),
        ]);
        const got = latencyP50s(results);
        for (const p of PAIRS) (p50[side]![p.mechanism] ??= []).push(got.get(`${p.mechanism} ${BYTES}`) ?? NaN);
      }
      process.stderr.write(`round ${round + 1}/${rounds}: ${side} done (load ${load1().toFixed(1)})\n`);
    }
  }
  const rows = PAIRS.map((p) => ({
    ...p,
    plainNs: median(p50.reference![p.reference]!),
    afterNs: median(p50.after![p.mechanism]!),
    beforeNs: values.before ? median(p50.before![p.mechanism]!) : NaN,
  }));
  console.log(`podipc vs plain Node, p50 RTT at ${BYTES} B, median of ${rounds} interleaved rounds; 1-min load average during the run: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
  console.log(`| mechanism | plain Node p50 |${values.before ? ' podipc before p50 | before / plain |' : ''} podipc p50 | podipc / plain | per-round podipc / plain |`);
  console.log(`|---|--:|${values.before ? '--:|--:|' : ''}--:|--:|---|`);
  for (const r of rows) {
    const perRound = p50.after![r.mechanism]!.map((v, i) => (v / p50.reference![r.reference]![i]!).toFixed(2)).join(', ');
    const before = values.before ? ` ${us(r.beforeNs)} µs | ${(r.beforeNs / r.plainNs).toFixed(2)} |` : '';
    console.log(`| ${r.mechanism} | ${us(r.plainNs)} µs |${before} ${us(r.afterNs)} µs | ${(r.afterNs / r.plainNs).toFixed(2)} | ${perRound} |`);
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows, p50, loads }, null, 2));
}

main().catch((err: Error) => {
  console.error(`bench:overhead: ${err.message}`);
  process.exit(2);
});
