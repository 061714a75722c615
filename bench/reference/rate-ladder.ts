/**
 * The rate probe's benchmark driver (BENCHMARKS.md, "Latency under load"): for each runtime
 * and mechanism, one pair runs the fixed rates and then the sustainable-rate search at 64 B,
 * and one tcp pair runs the stall demonstration (the server pauses 5 ms every 100 ms).
 * Prints a markdown table per runtime and the host's load average before and after, which
 * says whether the numbers may be quoted.
 *
 *   npm run bench:rate -- [--measure-ms 1000] [--rates 1k,10k,50k] [--budget-us 100] [--runtimes node,native]
 */
import { loadavg } from 'node:os';
import { argv } from 'node:process';
import { parseRatePerSec } from '../../core/rate.js';
import type { PlanCase, ProbeLine } from '../../core/protocol.js';
import { runProbePair } from './probe-pair.js';

function flag(name: string, fallback: string): string {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1]! : fallback;
}

const measureMs = Number(flag('--measure-ms', '1000'));
const rates = flag('--rates', '1k,10k,50k').split(',').map((r) => {
  const v = parseRatePerSec(r);
  if (v === undefined) throw new Error(`--rates: '${r}' is not a rate (e.g. 1k,10k,50k)`);
  return v;
});
const budgetUs = Number(flag('--budget-us', '100'));
const runtimes = flag('--runtimes', 'node,native').split(',') as Array<'node' | 'native'>;
const MECHANISMS: Array<{ mechanism: string; variant?: string }> = [
  { mechanism: 'tcp' },
  { mechanism: 'uds' },
  { mechanism: 'mq-posix' },
  { mechanism: 'shm-posix', variant: 'futex' },
  { mechanism: 'shm-posix', variant: 'spin' },
];
const budget = { warmupMs: 100, warmupRoundTrips: 1000, measureMs, setupTimeoutMs: 10_000 };

const us = (ns: number | undefined): string => (ns === undefined ? '-' : (ns / 1000).toFixed(ns < 10_000 ? 1 : 0));
const f1 = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(1));

function row(label: string, runtime: string, l: ProbeLine): string {
  if (l.status !== 'ok') return `| ${label} | ${runtime} | ${l.ratePerSec ?? 'search'} | ${l.status}: ${l.reason ?? ''} |`;
  return [
    '',
    label,
    runtime,
    l.ratePerSec ?? 'search',
    Math.round(l.achievedRatePerSec ?? 0),
    us(l.responseNs?.p50),
    us(l.responseNs?.p99),
    us(l.responseNs?.p999),
    us(l.serviceNs?.p99),
    f1(l.cpu?.clientUsPerMsg),
    f1(l.cpu?.serverUsPerMsg),
    l.clientBehind ? 'yes' : 'no',
    '',
  ].join(' | ').trim();
}

async function main(): Promise<void> {
  const before = loadavg();
  console.log(`load average before: ${before.map((x) => x.toFixed(2)).join(' ')}; measure ${measureMs} ms per rate, budget ${budgetUs} µs`);
  console.log('| mechanism | runtime | target/s | achieved/s | resp p50 µs | resp p99 µs | resp p99.9 µs | service p99 µs | client CPU µs/msg | server CPU µs/msg | client behind |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  const searches: string[] = [];
  for (const runtime of runtimes) {
    for (const m of MECHANISMS) {
      const label = m.variant ? `${m.mechanism}/${m.variant}` : m.mechanism;
      const cases: Array<Omit<PlanCase, 'mechanism' | 'variant'>> = [
        ...rates.map((ratePerSec, caseIndex) => ({ caseIndex, probe: 'rate' as const, messageBytes: 64, ratePerSec })),
        { caseIndex: rates.length, probe: 'rate', messageBytes: 64, search: { p99BudgetNs: budgetUs * 1000, startRatePerSec: 1000, maxRatePerSec: 1_000_000 } },
      ];
      const lines = await runProbePair({ ...m, cases, budget, runtime: { server: runtime, client: runtime } });
      for (const l of lines) {
        if (l.steps) {
          searches.push(`| ${label} | ${runtime} | ${l.sustainableRatePerSec ?? '-'} | ${l.steps.map((s) => `${s.ratePerSec}${s.ok ? '✓' : '✗'}(p99 ${us(s.responseNs.p99)}${s.clientBehind ? ', behind' : ''})`).join(' ')} |`);
        } else console.log(row(label, runtime, l));
      }
    }
    const stall = await runProbePair({
      mechanism: 'tcp',
      cases: [{ caseIndex: 0, probe: 'rate', messageBytes: 64, ratePerSec: 2000, stall: { everyMs: 100, pauseMs: 5 } }],
      budget,
      runtime: { server: runtime, client: runtime },
    });
    for (const l of stall) console.log(row('tcp + stall 5 ms/100 ms', runtime, l));
  }
  console.log(`\nSustainable rate (p99 response <= ${budgetUs} µs, nothing lost, client on schedule), 64 B:\n`);
  console.log('| mechanism | runtime | sustainable msg/s | steps (rate, held?, p99 µs) |');
  console.log('|---|---|---|---|');
  for (const s of searches) console.log(s);
  console.log(`\nload average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
