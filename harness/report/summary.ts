/**
 * The few lines `podipc run` ends with on the terminal: the counts, why not to trust the
 * numbers when that applies, the top three per probe at the smallest and the largest size,
 * and every failure by name. Pure: from results.json alone.
 */
import { caseKey, placementsOf, type CaseResult, type ResultFile } from '../../core/results.js';
import { mechanismLabel } from '../../core/vocabulary.js';
import { hasLoss, RUNS_DISAGREE_FACTOR, runsDisagree, smokeBudget } from '../findings.js';
import { formatBytes, formatNs, formatRate } from './format.js';
import { bestFirst } from './tables.js';

const TOP = 3;

function oneLine(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function runSummary(results: ResultFile): string[] {
  const count = (s: CaseResult['status']): number => results.cases.filter((c) => c.status === s).length;
  const lines = [`${results.cases.length} cases on ${placementsOf(results).join(', ')}: ${count('ok')} ok, ${count('skipped')} skipped, ${count('failed')} failed`];
  const smoke = smokeBudget(results.config);
  if (smoke) lines.push(`smoke budget (${smoke}): do not decide on these numbers`);
  const split = results.cases.filter((c) => c.status !== 'skipped' && runsDisagree(c) !== undefined).length;
  if (split > 0) lines.push(`${split} case${split === 1 ? '' : 's'}: the runs disagree by ${RUNS_DISAGREE_FACTOR}x or more (marked ↕ in report.md): re-run before deciding on them`);
  const manyRuntimes = new Set(results.cases.filter((c) => c.status === 'ok').map((c) => c.runtime)).size > 1;
  const manyPlacements = placementsOf(results).length > 1;
  const label = (c: CaseResult): string => [mechanismLabel(c), ...(manyRuntimes ? [c.runtime] : []), ...(manyPlacements ? [c.placement] : [])].join('/');
  const rows: Array<[string, string]> = [];
  for (const topology of ['same-pod', 'cross-pod'] as const) {
    for (const probe of ['latency', 'throughput'] as const) {
      const ok = results.cases.filter((c) => c.topology === topology && c.probe === probe && c.status === 'ok' && !hasLoss(c));
      const sizes = [...new Set(ok.map((c) => c.messageBytes))].sort((a, b) => a - b);
      for (const size of [...new Set([sizes[0], sizes[sizes.length - 1]])]) {
        if (size === undefined) continue;
        const top = ok.filter((c) => c.messageBytes === size).sort(bestFirst).slice(0, TOP);
        const value = (c: CaseResult): string => (probe === 'latency' ? `${formatNs(c.latencyNs!.p50)} p50` : formatRate(c.throughput!.msgsPerSec));
        rows.push([`${probe}, ${topology}, ${formatBytes(size)}:`, top.map((c) => `${label(c)} ${value(c)}`).join(' · ')]);
      }
    }
  }
  if (rows.length) {
    lines.push(`best ${TOP} (clean cases only; the report has the rest and what each needs in the pod spec):`);
    const width = Math.max(...rows.map(([k]) => k.length));
    lines.push(...rows.map(([k, v]) => `  ${k.padEnd(width)} ${v}`));
  }
  for (const c of results.cases.filter((x) => x.status === 'failed')) lines.push(`failed: ${caseKey(c)}: ${oneLine(c.reason ?? 'no reason recorded', 200)}`);
  return lines;
}
