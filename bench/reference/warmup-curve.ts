#!/usr/bin/env node
/**
 * `npm run bench:warmup`: how much warm-up the probe needs before its numbers mean the
 * mechanism and not V8's tiers. For each mechanism and each warm-up length W (round trips,
 * no minimum time), a fresh probe pair - cold JIT, like every run - warms up W round trips
 * and then measures a short window (the quick profile's measured time by default); the p50
 * of that window, median over repeats, against W. Where the curve flattens is enough.
 *
 *   npm run bench:warmup -- [--mechanisms shm-posix/spin,tcp,mq-posix,uds] [--lengths 0,100,300,1000,3000,10000,30000]
 *                           [--bytes 64] [--measure-ms 40] [--repeats 3] [--node-flags=--no-concurrent-recompilation] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runProbePair } from './probe-pair.js';
import { load1, median, us } from './podipc-cli.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mechanisms: { type: 'string', default: 'shm-posix/spin,tcp,mq-posix,uds' },
      lengths: { type: 'string', default: '0,100,300,1000,3000,10000,30000' },
      bytes: { type: 'string', default: '64' },
      'measure-ms': { type: 'string', default: '40' },
      repeats: { type: 'string', default: '3' },
      'node-flags': { type: 'string', default: '' },
      json: { type: 'string' },
    },
  });
  const mechanisms = values.mechanisms!.split(',');
  const lengths = values.lengths!.split(',').map(Number);
  const repeats = Number(values.repeats);
  const measureMs = Number(values['measure-ms']);
  const p50: Record<string, Record<number, number[]>> = {};
  const loads: number[] = [];
  // Repeats outermost and lengths interleaved, so drift in the machine's load spreads over all.
  for (let r = 0; r < repeats; r++) {
    for (const m of mechanisms) {
      for (const w of lengths) {
        loads.push(load1());
        const [mechanism, variant] = m.split('/');
        const lines = await runProbePair({
          mechanism: mechanism!,
          ...(variant ? { variant } : {}),
          cases: [{ caseIndex: 0, probe: 'latency', messageBytes: Number(values.bytes) }],
          budget: { warmupMs: 0, warmupRoundTrips: w, measureMs, setupTimeoutMs: 10_000 },
          nodeFlags: values['node-flags']!.split(' ').filter(Boolean),
          // Measure the warm-up as the plan gives it, without the probe's own first-case warm-up.
          env: { PODIPC_PLAN_WARMUP_ONLY: '1' },
        });
        const line = lines[0];
        if (line?.status !== 'ok' || !line.latencyNs) throw new Error(`${m} with ${w} warm-up round trips: ${line?.status ?? 'no result'} ${line?.reason ?? ''}`);
        ((p50[m] ??= {})[w] ??= []).push(line.latencyNs.p50);
      }
      process.stderr.write(`repeat ${r + 1}/${repeats}: ${m} done (load ${load1().toFixed(1)})\n`);
    }
  }
  console.log(`p50 RTT of a ${measureMs} ms window after W warm-up round trips (no warm-up time), ${values.bytes} B, median of ${repeats} fresh pairs${values['node-flags'] ? ` (node ${values['node-flags']})` : ''}; load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
  console.log(`| mechanism | ${lengths.map((w) => `W=${w}`).join(' | ')} |\n|---|${lengths.map(() => '--:').join('|')}|`);
  for (const m of mechanisms) console.log(`| ${m} | ${lengths.map((w) => `${us(median(p50[m]![w]!))} µs`).join(' | ')} |`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ p50, loads }, null, 2));
}

main().catch((err: Error) => {
  console.error(`bench:warmup: ${err.message}`);
  process.exit(2);
});
