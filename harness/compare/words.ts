/**
 * The sentences every compare format shares - the headline, the differences, the noise
 * floor, a case's label and values - so Markdown, text and CSV say the same thing. Pure.
 */
import { rateKeyPart } from '../../core/results.js';
import { formatBytes, formatNs, formatP, formatPct, formatRate } from '../report/format.js';
import { lowerIsBetter, pct0, timeFactor, type CaseComparison, type Comparison, type Difference, type Side } from './engine.js';

export function shortCommit(commit: string): string {
  // 40-hex commits shorten to 7 like git does, keeping the runner's "-dirty" suffix.
  const m = /^([0-9a-f]{7})[0-9a-f]*(-dirty)?$/i.exec(commit);
  return m ? `${m[1]}${m[2] ?? ''}` : commit || '(unknown commit)';
}

export function caseLabel(c: CaseComparison): string {
  return `${c.mechanism} ${c.probe} ${formatBytes(c.messageBytes)}${rateKeyPart(c)} ${c.topology}${c.runtime === 'node' ? '' : ` ${c.runtime}`}`;
}

/** What the values are: "p50 RTT", "msgs/s", "p99 response at 10 k msg/s", "sustainable msg/s (p99 <= 100 µs)". */
export function metricLabel(c: CaseComparison): string {
  switch (c.metric) {
    case 'p50':
      return 'p50 RTT';
    case 'msgsPerSec':
      return 'msgs/s';
    case 'responseP99':
      return `p99 response at ${formatRate(c.ratePerSec!)}${c.burst !== undefined && c.burst > 1 ? ` in bursts of ${c.burst}` : ''}`;
    case 'sustainableRatePerSec':
      return `sustainable msg/s (p99 <= ${formatNs(c.p99BudgetNs!)})`;
  }
}

export function valueText(c: CaseComparison, v: number): string {
  return lowerIsBetter(c.metric) ? formatNs(v) : formatRate(v);
}

/** "41.2 µs ±3.1 %": median of the runs ± half their range. */
export function sideText(c: CaseComparison, s: Side): string {
  return `${valueText(c, s.median)} ±${formatPct(s.spreadPct / 2, false)}`;
}

export function ciText(c: CaseComparison): string {
  return `[${formatPct(c.ci.lowPct)}, ${formatPct(c.ci.highPct)}]`;
}

/** "90 % CI" when every case reached the same confidence, else "CI" (the note explains). */
export function ciHeader(c: Comparison): string {
  const levels = new Set(c.cases.map((x) => pct0(x.ci.confidence)));
  return levels.size === 1 ? `${[...levels][0]} CI` : 'CI';
}

const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

/** hyperfine's form: "tcp latency 64 B same-pod: 1.42x slower (1.31-1.55), q = 0.004". */
export function factorLine(c: CaseComparison): string {
  const t = timeFactor(c);
  const dir = t.factor >= 1 ? 'slower' : 'faster';
  const factor = t.factor >= 1 ? t.factor : 1 / t.factor;
  const [lo, hi] = t.factor >= 1 ? [t.low, t.high] : [1 / t.high, 1 / t.low];
  const verdict = c.verdict === '~' ? ' ~' : '';
  return `${caseLabel(c)}: ${f2(factor)}x ${dir} (${f2(lo)}-${f2(hi)}), q = ${formatP(c.q)}${verdict}`;
}

/** |change| first, then the case order: what moved most is read first. */
export function mostChangedFirst(cases: readonly CaseComparison[]): CaseComparison[] {
  return [...cases].sort((a, b) => Math.abs(b.changePct) - Math.abs(a.changePct));
}

/** The headline: the conclusion in one sentence, regressions named. `strong` wraps the verdict word. */
export function headline(c: Comparison, strong: (s: string) => string): string {
  const slower = mostChangedFirst(c.cases.filter((x) => x.verdict === 'slower'));
  const named = (list: CaseComparison[]): string =>
    list.slice(0, 5).map((x) => `${caseLabel(x)} ${formatPct(x.changePct)}`).join(', ') + (list.length > 5 ? `, and ${list.length - 5} more` : '');
  switch (c.conclusion.kind) {
    case 'inconclusive':
      return `${strong('Inconclusive')}: ${c.conclusion.reasons.join('; ')}.${slower.length ? ` Measured slower all the same: ${named(slower)}.` : ''}`;
    case 'regressions':
      return `${strong(`${slower.length} regression${slower.length === 1 ? '' : 's'}`)}: ${named(slower)}.`;
    case 'improvements':
      return `${strong('No regressions')}; ${c.counts.faster} case${c.counts.faster === 1 ? '' : 's'} faster.`;
    case 'no-change':
      return `${strong('No regressions')}: no case changed detectably.`;
  }
}

export function countsLine(c: Comparison): string {
  const { faster, slower, unchanged } = c.counts;
  return (
    `${slower} slower, ${faster} faster, ${unchanged} ~ (no detectable change) of ${c.cases.length} compared cases. ` +
    `Mann-Whitney U over run-level values, α = ${c.options.alpha} on Benjamini-Hochberg q-values over the ${c.cases.length} cases compared, threshold ${c.options.thresholdPct} %.`
  );
}

export function differencesText(list: readonly Difference[], code: (s: string) => string): string {
  return list.map((d) => `${d.field} ${code(d.base)} → ${code(d.head)}`).join(', ');
}

export function configWarning(c: Comparison, code: (s: string) => string): string | undefined {
  if (c.configDifferences.length === 0) return undefined;
  return `Config differs: ${differencesText(c.configDifferences, code)}.`;
}

export function envWarning(c: Comparison, code: (s: string) => string): string | undefined {
  if (c.envDifferences.length === 0) return undefined;
  return `Environments differ, so part of any change may come from the machine, not the code: ${differencesText(c.envDifferences, code)}.`;
}

export function noiseLine(c: Comparison): string {
  const n = c.noise;
  const noisiest = n.noisiest ? ` Noisiest: ${n.noisiest.key} (${formatPct(n.noisiest.spreadPct, false)}).` : '';
  return (
    `Noise floor: median |change| across ${c.cases.length} cases ${formatPct(n.medianAbsChangePct, false)}; ` +
    `run-to-run spread (max−min)/median: median ${formatPct(n.medianSpreadPctBase, false)} (base), ${formatPct(n.medianSpreadPctHead, false)} (head).${noisiest}`
  );
}

export function aaLine(c: Comparison, code: (s: string) => string): string {
  return (
    `A/A comparison: both sides are commit ${code(shortCommit(c.base.gitCommit))}, so every change is noise. ` +
    `Treat changes smaller than about ${formatPct(Math.max(c.noise.medianAbsChangePct * 2, c.noise.medianSpreadPctBase, c.noise.medianSpreadPctHead), false)} as indistinguishable from it.`
  );
}

/** "139 cases were measured on neither side (skipped or failed on both): ..." in one line. */
export function unmeasuredLine(c: Comparison): string | undefined {
  const u = c.unmeasuredOnBoth;
  if (u.count === 0) return undefined;
  return `${u.count} case${u.count === 1 ? ' was' : 's were'} measured on neither side (skipped or failed on both; each report says why): ${u.mechanisms.join(', ')}.`;
}

export function onlyLine(label: 'base' | 'head', keys: readonly string[], max: number, code: (s: string) => string): string | undefined {
  if (keys.length === 0) return undefined;
  const shown = keys.slice(0, max).map(code).join(', ');
  return `Only in ${label} (${keys.length}): ${shown}${keys.length > max ? `, and ${keys.length - max} more` : ''}.`;
}

export const METHOD_NOTE = (c: Comparison): string =>
  `Base and head: median of the runs ± half their range. Change: head median / base median − 1. ` +
  `CI: distribution-free interval of the ratio from the sorted pairwise run ratios (Hodges-Lehmann / Bauer 1972), ` +
  `at the smallest exact confidence >= ${pct0(1 - c.options.alpha)} the run counts allow. ` +
  `Latency cases compare run-level p50 round trip (lower is better), throughput cases run-level msgs/s (higher is better), ` +
  `rate cases at a fixed rate run-level p99 response time at that rate (lower is better), rate searches the run-level sustainable rate (higher is better); ` +
  `p99 Δ (latency cases) is informational.`;
