/**
 * What the rate probe measured, as recommend's evidence for `--rate R --p99-us N`: for each
 * mechanism, the fixed-rate case at the nearest measured rate >= R (the workload's rate or a
 * harder one - never extrapolated down from a gentler schedule), and whether it held there:
 * p99 response time (from the intended send: queueing included) within N, nothing lost, the
 * achieved rate within 5 % of the target, the client on schedule. Where no fixed rate >= R
 * was measured, a search case whose sustainable rate >= R under a budget <= N stands in.
 * Pure: results in, verdicts out; recommend decides what to do with them.
 */
import { mechanismLabel, type PlacementId, type RuntimeId, type Topology } from '../../core/vocabulary.js';
import type { CaseResult, ResultFile } from '../../core/results.js';

export interface RateQuery {
  messageBytes: number;
  ratePerSec: number;
  p99BudgetNs: number;
  runtime: RuntimeId;
  topology: Topology;
  /** Only this placement's cases (recommend ranks one placement at a time). */
  placement?: PlacementId;
}

export type RateVerdict =
  | { mechanism: string; holds: true; measuredRatePerSec: number; responseP99Ns: number; cpuUsPerMsg: number; basis: string }
  | { mechanism: string; holds: false; reason: string };

/** Rate cases of the query's runtime, topology and size, per mechanism label. */
function rateCases(results: ResultFile, q: RateQuery): Map<string, CaseResult[]> {
  const by = new Map<string, CaseResult[]>();
  for (const c of results.cases) {
    if (c.probe !== 'rate' || c.runtime !== q.runtime || c.topology !== q.topology || c.messageBytes !== q.messageBytes) continue;
    if (q.placement !== undefined && c.placement !== q.placement) continue;
    const label = mechanismLabel(c);
    by.set(label, [...(by.get(label) ?? []), c]);
  }
  return by;
}

/** Whether any rate case matches the query's runtime, topology and size (recommend then uses this evidence). */
export function hasRateEvidence(results: ResultFile, q: RateQuery): boolean {
  return rateCases(results, q).size > 0;
}

function judgeFixed(label: string, c: CaseResult, q: RateQuery): RateVerdict {
  const at = `at ${c.ratePerSec} msg/s`;
  if (c.status !== 'ok') return { mechanism: label, holds: false, reason: `${at}: ${c.status}: ${c.reason ?? 'no reason recorded'}` };
  if (c.clientBehind) return { mechanism: label, holds: false, reason: `${at}: the client fell behind its schedule (the run cannot vouch for this rate)` };
  if (c.integrity && (c.integrity.lost > 0 || c.integrity.corrupt > 0)) {
    return { mechanism: label, holds: false, reason: `${at}: ${c.integrity.lost} lost, ${c.integrity.corrupt} corrupt` };
  }
  if (c.achievedRatePerSec === undefined || c.achievedRatePerSec < 0.95 * c.ratePerSec!) {
    return { mechanism: label, holds: false, reason: `${at}: achieved only ${Math.round(c.achievedRatePerSec ?? 0)} msg/s` };
  }
  const p99 = c.responseNs?.p99;
  if (p99 === undefined) return { mechanism: label, holds: false, reason: `${at}: no response times recorded` };
  if (p99 > q.p99BudgetNs) return { mechanism: label, holds: false, reason: `${at}: p99 response ${Math.round(p99 / 1000)} µs > ${q.p99BudgetNs / 1000} µs` };
  const cpu = c.cpu ? c.cpu.clientUsPerMsg + c.cpu.serverUsPerMsg : 0;
  return { mechanism: label, holds: true, measuredRatePerSec: c.ratePerSec!, responseP99Ns: p99, cpuUsPerMsg: cpu, basis: `p99 response ${Math.round(p99 / 1000)} µs ${at}, CPU ${cpu.toFixed(1)} µs/msg (client + server)` };
}

/** One verdict per mechanism with rate cases; those that hold first, cheapest CPU per message first. */
export function rateVerdicts(results: ResultFile, q: RateQuery): RateVerdict[] {
  const verdicts: RateVerdict[] = [];
  for (const [label, cases] of rateCases(results, q)) {
    const fixed = cases.filter((c) => c.ratePerSec !== undefined && c.ratePerSec >= q.ratePerSec).sort((a, b) => a.ratePerSec! - b.ratePerSec!);
    if (fixed.length > 0) {
      verdicts.push(judgeFixed(label, fixed[0]!, q));
      continue;
    }
    const search = cases.find((c) => c.p99BudgetNs !== undefined && c.p99BudgetNs <= q.p99BudgetNs && c.status === 'ok' && !c.clientBehind);
    if (search && (search.sustainableRatePerSec ?? 0) >= q.ratePerSec) {
      const cpu = search.cpu ? search.cpu.clientUsPerMsg + search.cpu.serverUsPerMsg : 0;
      verdicts.push({
        mechanism: label,
        holds: true,
        measuredRatePerSec: search.sustainableRatePerSec!,
        responseP99Ns: search.responseNs?.p99 ?? search.p99BudgetNs!,
        cpuUsPerMsg: cpu,
        basis: `sustains ${search.sustainableRatePerSec} msg/s under a ${search.p99BudgetNs! / 1000} µs p99 budget (search)`,
      });
      continue;
    }
    const highest = Math.max(0, ...cases.map((c) => c.ratePerSec ?? c.sustainableRatePerSec ?? 0));
    verdicts.push({
      mechanism: label,
      holds: false,
      reason: search ? `sustains only ${search.sustainableRatePerSec ?? 0} msg/s under the budget` : `not measured at ${q.ratePerSec} msg/s or above (highest: ${highest})`,
    });
  }
  return verdicts.sort((a, b) => (a.holds === b.holds ? (a.holds && b.holds ? a.cpuUsPerMsg - b.cpuUsPerMsg || a.responseP99Ns - b.responseP99Ns : 0) : a.holds ? -1 : 1));
}
