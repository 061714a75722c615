/**
 * The rate probe's report sections (pure, from results.json): per topology and size, the
 * response time at each target rate per mechanism (families grouped, as the registry orders
 * them), with the service time beside it and CPU per message on each side at that rate; and
 * the sustainable-rate table of the search cases. A case whose client fell behind its
 * schedule, or that lost messages, says so in its row instead of passing for a good number.
 */
import { mechanismLabel } from '../../core/vocabulary.js';
import { placementsOf, type CaseResult, type ResultFile } from '../../core/results.js';
import { formatBytes, formatNs, formatRate, formatUs } from './format.js';

// What tables.ts turns into its Section and Table (it calls this module, so importing its
// types back would make an import cycle): cells as data, text plus the number behind it.
interface RateCell {
  text: string;
  value?: number;
  flag?: 'lossy' | 'failed';
  note?: string;
}

export interface RateTable {
  id: string;
  heading: string;
  header: string[];
  numeric: boolean[];
  cells: RateCell[][];
}

export interface RateSection {
  id: string;
  heading: string;
  intro: string;
  tables: RateTable[];
}

const TOPOLOGY_TEXT = { 'same-pod': 'same pod', 'cross-pod': 'cross pod' } as const;

/** Families first (sockets, volumes, queues, shared memory: the registry's order), then variant, then runtime. */
function familyOrder(results: ResultFile): (a: CaseResult, b: CaseResult) => number {
  const order = new Map<string, number>();
  results.config.mechanisms.forEach((m, i) => order.set(m.split('/')[0]!, i));
  const rank = (c: CaseResult): number => order.get(c.mechanism) ?? order.size;
  return (a, b) =>
    rank(a) - rank(b) ||
    mechanismLabel(a).localeCompare(mechanismLabel(b)) ||
    a.runtime.localeCompare(b.runtime) ||
    (a.ratePerSec ?? 0) - (b.ratePerSec ?? 0);
}

function note(c: CaseResult): string {
  if (c.status !== 'ok') return `${c.status}: ${c.reason ?? ''}`;
  const notes: string[] = [];
  if (c.clientBehind) notes.push('client fell behind its schedule');
  if (c.integrity && c.integrity.lost > 0) notes.push(`${c.integrity.lost} lost`);
  if (c.integrity && c.integrity.corrupt > 0) notes.push(`${c.integrity.corrupt} corrupt`);
  if (c.achievedRatePerSec !== undefined && c.ratePerSec !== undefined && c.achievedRatePerSec < 0.95 * c.ratePerSec) notes.push('rate not held');
  return notes.join('; ');
}

/** "10 k msg/s", or "10 k msg/s in bursts of 8" for a --burst run. */
export function targetText(c: Pick<CaseResult, 'ratePerSec' | 'burst'>): string {
  return `${formatRate(c.ratePerSec!)}${burstText(c)}`;
}
const burstText = (c: Pick<CaseResult, 'burst'>): string => (c.burst !== undefined && c.burst > 1 ? ` in bursts of ${c.burst}` : '');

const dash = (v: number | undefined, f: (x: number) => string): RateCell => (v === undefined ? { text: '–' } : { text: f(v), value: v });
const word = (text: string): RateCell => ({ text });

function groupBySize(results: ResultFile, cases: CaseResult[]): Map<string, CaseResult[]> {
  const many = placementsOf(results).length > 1;
  const groups = new Map<string, CaseResult[]>();
  for (const c of [...cases].sort((a, b) => a.messageBytes - b.messageBytes)) {
    const heading = many ? `${formatBytes(c.messageBytes)} on ${c.placement}` : formatBytes(c.messageBytes);
    groups.set(heading, [...(groups.get(heading) ?? []), c]);
  }
  return groups;
}

function atRateTable(id: string, heading: string, cases: CaseResult[], order: (a: CaseResult, b: CaseResult) => number): RateTable {
  return {
    id,
    heading,
    header: ['mechanism', 'runtime', 'target', 'achieved', 'response p50', 'response p99', 'response p99.9', 'service p99', 'CPU client/msg', 'CPU server/msg', 'note'],
    numeric: [false, false, true, true, true, true, true, true, true, true, false],
    cells: [...cases].sort(order).map((c) => [
      word(mechanismLabel(c)),
      word(c.runtime),
      { text: targetText(c), value: c.ratePerSec! },
      dash(c.achievedRatePerSec, formatRate),
      dash(c.responseNs?.p50, formatNs),
      dash(c.responseNs?.p99, formatNs),
      dash(c.responseNs?.p999, formatNs),
      dash(c.serviceNs?.p99, formatNs),
      dash(c.cpu?.clientUsPerMsg, formatUs),
      dash(c.cpu?.serverUsPerMsg, formatUs),
      word(note(c)),
    ]),
  };
}

function sustainableTable(id: string, heading: string, cases: CaseResult[], order: (a: CaseResult, b: CaseResult) => number): RateTable {
  return {
    id,
    heading,
    header: ['mechanism', 'runtime', 'p99 budget', 'sustainable rate', 'response p99 there', 'CPU client/msg', 'CPU server/msg', 'note'],
    numeric: [false, false, true, true, true, true, true, false],
    cells: [...cases]
      .sort((a, b) => (b.sustainableRatePerSec ?? 0) - (a.sustainableRatePerSec ?? 0) || order(a, b))
      .map((c) => [
        word(mechanismLabel(c)),
        word(c.runtime),
        { text: `${formatNs(c.p99BudgetNs!)}${burstText(c)}`, value: c.p99BudgetNs! },
        c.sustainableRatePerSec === undefined
          ? word('–')
          : c.sustainableRatePerSec === 0
            ? { text: 'below the start rate', value: 0 }
            : { text: formatRate(c.sustainableRatePerSec), value: c.sustainableRatePerSec },
        dash(c.responseNs?.p99, formatNs),
        dash(c.cpu?.clientUsPerMsg, formatUs),
        dash(c.cpu?.serverUsPerMsg, formatUs),
        word(c.status === 'ok' ? '' : `${c.status}: ${c.reason ?? ''}`),
      ]),
  };
}

/** In a --burst run, what its schedule was: the queue inside each burst is in the response time by design. */
function burstIntro(cases: CaseResult[]): string {
  const bursts = [...new Set(cases.map((c) => c.burst ?? 1))].filter((b) => b > 1);
  return bursts.length
    ? ` Sent in bursts of ${bursts.join(', ')}: the messages of a burst share one intended send time and go one after another, so each waits for the answers before it (in its response time, not its service time).`
    : '';
}

export function rateSections(results: ResultFile): RateSection[] {
  const sections: RateSection[] = [];
  const order = familyOrder(results);
  for (const topology of ['same-pod', 'cross-pod'] as const) {
    const rate = results.cases.filter((c) => c.probe === 'rate' && c.topology === topology && c.status !== 'skipped');
    const fixed = rate.filter((c) => c.ratePerSec !== undefined);
    const search = rate.filter((c) => c.p99BudgetNs !== undefined);
    if (fixed.length > 0) {
      sections.push({
        id: `rate-${topology}`,
        heading: `Latency under load: response time at a fixed arrival rate, ${TOPOLOGY_TEXT[topology]}`,
        intro:
          'Messages are sent on a fixed schedule, one request outstanding. Response time counts from when each message should have been sent (a stall counts for every message that waited behind it); service time from when it was sent, as a ping-pong would report it. CPU is per message on each side at that rate; the client\'s leaves out the probe\'s own pacing spin (the last ~150 µs before each send, which no real client spends; results.json keeps it per run as pacingSpinUsPerMsg).' +
          burstIntro(fixed),
        tables: [...groupBySize(results, fixed)].map(([heading, cases], i) => atRateTable(`rate-${topology}-${i}`, heading, cases, order)),
      });
    }
    if (search.length > 0) {
      sections.push({
        id: `sustainable-rate-${topology}`,
        heading: `Sustainable rate, ${TOPOLOGY_TEXT[topology]}`,
        intro:
          'The highest arrival rate at which the p99 response time stayed within the budget with nothing lost and the client on schedule (a x2 ladder, then bisection); median of the runs.' +
          burstIntro(search),
        tables: [...groupBySize(results, search)].map(([heading, cases], i) => sustainableTable(`sustainable-rate-${topology}-${i}`, heading, cases, order)),
      });
    }
  }
  return sections;
}
