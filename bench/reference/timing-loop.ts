#!/usr/bin/env node
/**
 * `npm run bench:timing-loop`: what the timing loop itself costs per round trip, which is
 * why the latency probe has its own loop instead of tinybench's (bench/probes/latency.ts).
 * Over the in-process channel calibration uses (no kernel: stamp, copy, verify, copy,
 * verify), the p50 round trip as measured by
 * - podipc's loop (the probes' synchronous loop, one allocation-free clock read per round trip),
 * - tinybench with a synchronous task (runSync; its clock read before and after each
 *   iteration, a result object per iteration, the samples array),
 * - tinybench with an async task (await per iteration: how the probe used it before),
 * and tinybench's cost for an empty task. Each variant runs in order, repeated, in this one
 * process, after a warm-up of the shared code.
 *
 *   npm run bench:timing-loop -- [--ms 300] [--repeats 3] [--bytes 64]
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { calibrateProbe, loopbackChannel } from '../calibrate.js';
import { RoundTrips } from '../probes/latency.js';
import { CLOCK_SOURCE } from '../clock.js';
import { median } from './podipc-cli.js';

type Provider = 'hrtimeNow' | 'performanceNow';

/** tinybench's p50 (ns) of `fn`, per iteration. */
function tinybenchSync(fn: () => void, ms: number, provider: Provider): number {
  const bench = new Bench({ time: ms, warmupTime: 50, warmupIterations: 1000, timestampProvider: provider, retainSamples: false, throws: true });
  bench.add('task', fn);
  bench.runSync();
  const r = bench.tasks[0]!.result;
  if (!r || !('latency' in r)) throw new Error('tinybench did not complete');
  return r.latency.p50 * 1e6;
}

async function tinybenchAsync(fn: () => Promise<void>, ms: number): Promise<number> {
  const bench = new Bench({ time: ms, warmupTime: 50, warmupIterations: 1000, timestampProvider: 'hrtimeNow', retainSamples: false, throws: true });
  bench.add('task', fn);
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (!r || !('latency' in r)) throw new Error('tinybench did not complete');
  return r.latency.p50 * 1e6;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { ms: { type: 'string', default: '300' }, repeats: { type: 'string', default: '3' }, bytes: { type: 'string', default: '64' } } });
  const ms = Number(values.ms);
  const bytes = Number(values.bytes);
  const results: Record<string, number[]> = {};
  const push = (k: string, v: number): void => void (results[k] ??= []).push(v);
  for (let r = 0; r < Number(values.repeats); r++) {
    const ours = await calibrateProbe([bytes], { warmupMs: 100, warmupRoundTrips: 20_000, settleCapMs: 0, measureMs: ms });
    push("podipc's loop", ours.perSize[0]!.roundTripNs);
    const ch = loopbackChannel();
    const rt = new RoundTrips(bytes, false);
    const roundTrip = (): void => {
      ch.send(rt.request());
      rt.answer(ch.recv() as Uint8Array);
    };
    push('tinybench runSync, hrtimeNow', tinybenchSync(roundTrip, ms, 'hrtimeNow'));
    push('tinybench runSync, performanceNow', tinybenchSync(roundTrip, ms, 'performanceNow'));
    push('tinybench run, async task', await tinybenchAsync(async () => roundTrip(), ms));
    push('tinybench runSync, empty task', tinybenchSync(() => {}, ms, 'hrtimeNow'));
  }
  console.log(`p50 per iteration, in-process round trip of ${bytes} B, median of ${values.repeats} repeats (${ms} ms each); podipc's clock: ${CLOCK_SOURCE}`);
  console.log('| timing loop | p50 per round trip | over podipc\'s loop |\n|---|--:|--:|');
  const base = median(results["podipc's loop"]!);
  for (const [k, v] of Object.entries(results)) {
    const m = median(v);
    console.log(`| ${k} | ${m.toFixed(0)} ns | ${k.includes('empty') ? '-' : `${(m - base).toFixed(0)} ns`} |`);
  }
}

main().catch((err: Error) => {
  console.error(`bench:timing-loop: ${err.message}`);
  process.exit(2);
});
