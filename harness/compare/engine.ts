/**
 * The comparison engine of `podipc compare BASE HEAD`: per case, did HEAD get faster,
 * slower, or is the change indistinguishable from noise (`~`)? Modelled on benchstat: a
 * Mann-Whitney U test over the run-level values (each run is an independent process pair,
 * the unit of statistics), Benjamini-Hochberg over the cases, a minimum effect threshold,
 * and `~` whenever either fails. Then the verdict on the whole comparison, which is
 * "inconclusive" when the two files cannot answer the question (too few runs, measured
 * with different budgets), whatever the individual cases say.
 *
 * Pure: two parsed result files in, a Comparison out. The formatters (format-*.ts) lay it
 * out; harness/commands/compare.ts reads the files and writes the terminal.
 */
import { caseKey, caseKeyWithoutPlacement, placementsOf, type CaseResult, type ResultFile, type RunConfigRecord } from '../../core/results.js';
import { benjaminiHochberg, binomial, mannWhitneyU, median, minRunsForSignificance, ratioInterval } from '../../core/stats.js';
import { mechanismLabel, type PlacementId, type ProbeKind, type RuntimeId, type Topology } from '../../core/vocabulary.js';
import { formatBytes, formatP, formatPct } from '../report/format.js';
import { nodeProbeV8FlagsText } from '../../core/node-probe.js';

export interface CompareOptions {
  /** Minimum change, in percent, that counts as a change at all. */
  thresholdPct: number;
  /** Significance level of the two-sided Mann-Whitney U test; also sets the CI level (1 - alpha). */
  alpha: number;
}

/** benchstat's defaults: alpha 0.05; podipc's threshold: 5 %. */
export const DEFAULT_COMPARE_OPTIONS: CompareOptions = { thresholdPct: 5, alpha: 0.05 };

export type Verdict = 'faster' | 'slower' | '~';

export interface Side {
  /** Run-level values of the metric, in run order (ok runs only). */
  values: number[];
  median: number;
  /** Run-to-run spread: (max - min) / median, in percent. */
  spreadPct: number;
}

/**
 * The run-level value a case is compared on, one per kind of case:
 * - `p50`: latency cases, the p50 round trip (ns, lower is better);
 * - `msgsPerSec`: throughput cases, delivered messages per second (higher is better);
 * - `responseP99`: rate cases at a fixed rate, the p99 response time at that rate (ns, from
 *   the intended send: what a caller on the schedule waits; lower is better). The tail, not
 *   the median: holding a rate is about the tail, and the search judges on it too;
 * - `sustainableRatePerSec`: rate search cases, the sustainable rate the search found
 *   (msg/s, higher is better) - not the latency of its best step, which sits near the budget
 *   by construction whatever the mechanism can hold.
 */
export type Metric = 'p50' | 'msgsPerSec' | 'responseP99' | 'sustainableRatePerSec';

/** Lower is better for times, higher for rates. */
export function lowerIsBetter(metric: Metric): boolean {
  return metric === 'p50' || metric === 'responseP99';
}

/** The metric a case is compared on (see `Metric`). */
export function metricOf(c: Pick<CaseResult, 'probe' | 'ratePerSec' | 'p99BudgetNs'>): Metric {
  if (c.probe === 'throughput') return 'msgsPerSec';
  if (c.probe === 'rate') return c.ratePerSec === undefined && c.p99BudgetNs !== undefined ? 'sustainableRatePerSec' : 'responseP99';
  return 'p50';
}

export interface CaseComparison {
  key: string;
  mechanism: string;
  variant?: string;
  runtime: RuntimeId;
  placement: PlacementId;
  probe: ProbeKind;
  /** Rate cases: the target rate, or the search's budget, and the burst (the label names them). */
  ratePerSec?: number;
  p99BudgetNs?: number;
  burst?: number;
  messageBytes: number;
  topology: Topology;
  /** What is compared: see `Metric`. */
  metric: Metric;
  base: Side;
  head: Side;
  /** head median / base median - 1, in percent. */
  changePct: number;
  /** Distribution-free interval of the change (pairwise ratios), in percent. */
  ci: { lowPct: number; highPct: number; confidence: number };
  /** Two-sided exact Mann-Whitney U p-value of this case alone. */
  p: number;
  /** p adjusted over every compared case (Benjamini-Hochberg); the verdict uses it. */
  q: number;
  /** The smallest p these run counts can produce; >= alpha means "can never be significant". */
  minP: number;
  verdict: Verdict;
  /** Why the verdict is what it is, in words. */
  why: string;
  /** Informational: change of the run-level p99 medians (latency only). */
  p99ChangePct?: number;
}

export interface Difference {
  field: string;
  base: string;
  head: string;
}

/**
 * The answer to "did HEAD change anything?": `inconclusive` when the files cannot answer it
 * (then `reasons` says why, most important first), else regressions / improvements / none.
 */
export interface Conclusion {
  kind: 'inconclusive' | 'regressions' | 'improvements' | 'no-change';
  reasons: string[];
}

export interface Comparison {
  conclusion: Conclusion;
  /** Knobs that change the numbers themselves (budgets, resource limits): a difference makes the comparison inconclusive. */
  measurementDifferences: Difference[];
  /** Every config field that differs (sizes, mechanisms, runs ... as well). */
  configDifferences: Difference[];
  envDifferences: Difference[];
  options: CompareOptions;
  base: SideInfo;
  head: SideInfo;
  /** Same git commit on both sides: an A/A run, whose changes are pure noise. */
  aa: boolean;
  cases: CaseComparison[];
  /** Case keys present in both files. */
  commonCases: number;
  onlyInBase: string[];
  onlyInHead: string[];
  /** Present on both sides and measured on one of them only. */
  notCompared: { key: string; reason: string }[];
  /** Present on both sides and measured on neither (skipped or failed twice): counted, not listed. */
  unmeasuredOnBoth: { count: number; mechanisms: string[] };
  noise: {
    /** Median over cases of |change|: what "no change" looks like in this pair of runs. */
    medianAbsChangePct: number;
    /** Median over cases of the run-to-run spread, per side. */
    medianSpreadPctBase: number;
    medianSpreadPctHead: number;
    /** The case with the widest spread on either side. */
    noisiest?: { key: string; spreadPct: number };
  };
  /** Set when the run counts make p < alpha unreachable for some cases. */
  significanceNote?: string;
  /** Set when the requested CI level is unreachable with these run counts. */
  ciNote?: string;
  counts: { faster: number; slower: number; unchanged: number };
}

export interface SideInfo {
  source: string;
  gitCommit: string;
  placement: string;
  hostname?: string;
  runs: number;
  quick: boolean;
  interrupted: boolean;
}

/**
 * The environment facts that change results by tens of percent - kernel, CPU model, core
 * count, Node version and the Node probe's V8 flags, the placements, and per placement its
 * Kubernetes version and the resource controls it applied (pinning above all) - read from
 * typed fields only, so a fact that no placement writes cannot be compared.
 */
export function environmentFacts(r: Pick<ResultFile, 'env'>): Map<string, string> {
  const facts = new Map<string, string>([
    ['kernel', r.env.kernel],
    ['cpuModel', r.env.cpuModel],
    ['cores', String(r.env.cores)],
    ['nodeVersion', r.env.nodeVersion],
    ['nodeProbeV8Flags', nodeProbeV8FlagsText(r.env.nodeProbeV8Flags)],
    ['placements', placementsOf(r).join(', ')],
  ]);
  for (const id of placementsOf(r)) {
    const p = r.env.placements[id]!;
    facts.set(`${id}.pin`, p.resources.pin ? `CPUs ${p.resources.pin.join(',')}` : 'not pinned');
    facts.set(`${id}.cpuLimit`, p.resources.cpuLimitCores !== undefined ? `${p.resources.cpuLimitCores} cores` : 'none');
    facts.set(`${id}.memoryLimit`, p.resources.memoryBytes !== undefined ? formatBytes(p.resources.memoryBytes) : 'none');
    if (p.k8sVersion !== undefined) facts.set(`${id}.k8sVersion`, p.k8sVersion);
  }
  return facts;
}

/**
 * The config fields that shape the measured numbers themselves: two runs that differ in
 * one of them measured different things (a quick run's tcp p50 is several times a full
 * run's), so no change between them can be put down to the code.
 */
export const MEASUREMENT_FIELDS: readonly (keyof RunConfigRecord)[] = ['quick', 'warmupMs', 'warmupRoundTrips', 'measureMs', 'cpuLimit', 'pin', 'memoryBytes'];

function configText(v: unknown): string {
  if (v === undefined) return '(unset)';
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** Every field of the typed config, as comparable text. */
function configFacts(config: RunConfigRecord): Map<string, string> {
  return new Map(Object.entries(config).map(([k, v]) => [k, configText(v)]));
}

function differences(base: Map<string, string>, head: Map<string, string>): Difference[] {
  const out: Difference[] = [];
  for (const field of new Set([...base.keys(), ...head.keys()])) {
    const b = base.get(field) ?? '(unset)';
    const h = head.get(field) ?? '(unset)';
    if (b !== h) out.push({ field, base: b, head: h });
  }
  return out;
}

/** Compare two result files. Pure: `sources` only name the files in the output. */
export function compareResults(
  base: ResultFile,
  head: ResultFile,
  options: CompareOptions = DEFAULT_COMPARE_OPTIONS,
  sources: { base: string; head: string } = { base: 'base', head: 'head' },
): Comparison {
  // Two files of one placement each are compared case by case whatever the placements (a
  // difference is warned about below); files of several placements match per placement.
  const single = placementsOf(base).length === 1 && placementsOf(head).length === 1;
  const keyOf = single ? caseKeyWithoutPlacement : caseKey;
  const baseCases = new Map(base.cases.map((c) => [keyOf(c), c]));
  const headCases = new Map(head.cases.map((c) => [keyOf(c), c]));
  const cases: CaseComparison[] = [];
  const notCompared: Comparison['notCompared'] = [];
  const unmeasured = { count: 0, mechanisms: new Set<string>() };
  let commonCases = 0;
  for (const [key, b] of baseCases) {
    const h = headCases.get(key);
    if (!h) continue;
    commonCases++;
    const compared = compareCase(key, b, h, options);
    if (compared === 'neither') {
      unmeasured.count++;
      unmeasured.mechanisms.add(mechanismLabel(b));
    } else if ('reason' in compared) notCompared.push(compared);
    else cases.push(compared);
  }
  cases.sort(byCaseOrder);
  const qValues = benjaminiHochberg(cases.map((c) => c.p));
  cases.forEach((c, i) => decide(c, qValues[i]!, options));

  const spreadsBase = cases.map((c) => c.base.spreadPct);
  const spreadsHead = cases.map((c) => c.head.spreadPct);
  let noisiest: Comparison['noise']['noisiest'];
  for (const c of cases) {
    const s = Math.max(c.base.spreadPct, c.head.spreadPct);
    if (!noisiest || s > noisiest.spreadPct) noisiest = { key: c.key, spreadPct: s };
  }
  const configDifferences = differences(configFacts(base.config), configFacts(head.config));
  const measurementDifferences = configDifferences.filter((d) => (MEASUREMENT_FIELDS as readonly string[]).includes(d.field));
  const counts = {
    faster: cases.filter((c) => c.verdict === 'faster').length,
    slower: cases.filter((c) => c.verdict === 'slower').length,
    unchanged: cases.filter((c) => c.verdict === '~').length,
  };
  const out: Comparison = {
    conclusion: { kind: 'no-change', reasons: [] },
    measurementDifferences,
    configDifferences,
    envDifferences: differences(environmentFacts(base), environmentFacts(head)),
    options,
    base: describeSide(base, sources.base),
    head: describeSide(head, sources.head),
    // Same commit = same code, unless the commit is unknown or the tree was dirty (uncommitted edits).
    aa: base.tool.gitCommit === head.tool.gitCommit && !['', 'unknown'].includes(base.tool.gitCommit) && !base.tool.gitCommit.endsWith('-dirty'),
    cases,
    commonCases,
    onlyInBase: [...baseCases.keys()].filter((k) => !headCases.has(k)).sort(),
    onlyInHead: [...headCases.keys()].filter((k) => !baseCases.has(k)).sort(),
    notCompared,
    unmeasuredOnBoth: { count: unmeasured.count, mechanisms: [...unmeasured.mechanisms].sort() },
    noise: {
      medianAbsChangePct: cases.length ? median(cases.map((c) => Math.abs(c.changePct))) : 0,
      medianSpreadPctBase: spreadsBase.length ? median(spreadsBase) : 0,
      medianSpreadPctHead: spreadsHead.length ? median(spreadsHead) : 0,
      ...(noisiest ? { noisiest } : {}),
    },
    counts,
  };

  const hopeless = cases.filter((c) => c.minP >= options.alpha);
  const bare = minRunsForSignificance(options.alpha);
  const robust = minRunsForSignificance(options.alpha, 1);
  const runCounts = (list: readonly CaseComparison[]): string => [...new Set(list.map((c) => `${c.base.values.length} vs ${c.head.values.length}`))].join(' or ');
  if (hopeless.length > 0) {
    const smallestP = Math.min(...hopeless.map((c) => c.minP));
    out.significanceNote =
      `With ${runCounts(hopeless)} runs the smallest possible p-value is ${formatP(smallestP)}, so ` +
      `${hopeless.length === cases.length ? 'no case' : `${hopeless.length} of ${cases.length} cases`} ` +
      `can be significant at α = ${options.alpha}: ${hopeless.length === cases.length ? 'every verdict is `~` by construction' : 'those verdicts are `~` by construction'}. ` +
      `Detecting a change needs at least ${bare} runs per side (and then only when every run moved); ` +
      `use --runs ${robust} or more on both sides, which tolerates one out-of-order run. benchstat has the same limit.`;
  }
  // Benjamini-Hochberg multiplies the smallest p by the number of cases: one case that moved
  // alone needs minP * n < alpha, which 5 runs per side cannot give over ~100 cases.
  const reachable = cases.filter((c) => c.minP < options.alpha);
  if (reachable.length > 0 && Math.min(...reachable.map((c) => c.minP)) * cases.length >= options.alpha) {
    let runs = 1;
    while (2 / binomial(2 * runs, runs) * cases.length >= options.alpha && runs < 40) runs++;
    const lone =
      `A change in a single case cannot reach q < ${options.alpha} here: with ${runCounts(reachable)} runs its smallest p (${formatP(Math.min(...reachable.map((c) => c.minP)))}) ` +
      `times the ${cases.length} cases compared is over α, so only a change that moves many cases at once can be called; --runs ${runs} on both sides lets one case be called alone.`;
    out.significanceNote = out.significanceNote ? `${out.significanceNote} ${lone}` : lone;
  }
  const level = 1 - options.alpha;
  const lowCi = cases.filter((c) => c.ci.confidence < level - 1e-9);
  if (lowCi.length > 0) {
    const groups = new Set(lowCi.map((c) => `${pct0(c.ci.confidence)} with ${c.base.values.length} vs ${c.head.values.length} runs`));
    out.ciNote =
      `${lowCi.length === cases.length ? 'All' : `${lowCi.length} of ${cases.length}`} confidence intervals are the full range of ` +
      `pairwise run ratios, which is as wide as these run counts allow and still covers less than ${pct0(level)}: ` +
      `${[...groups].join(', ')}.`;
  }

  // The verdict on the whole: can these two files answer "did HEAD change anything"?
  const reasons: string[] = [];
  if (measurementDifferences.length > 0) {
    reasons.push(`the two runs were measured differently (${measurementDifferences.map((d) => `${d.field} ${d.base} → ${d.head}`).join(', ')}), so a change may come from the budgets, not the code`);
  }
  if (cases.length > 0 && hopeless.length === cases.length) {
    reasons.push(`too few runs: ${runCounts(hopeless)} runs per case cannot reach p < ${options.alpha} (the exact test needs ${bare} per side, ${robust} to tolerate one out-of-order run)`);
  } else if (hopeless.length * 2 > cases.length) {
    reasons.push(`too few runs for most cases: ${hopeless.length} of ${cases.length} (${runCounts(hopeless)} runs) cannot reach p < ${options.alpha}`);
  }
  for (const [label, side] of [['base', out.base], ['head', out.head]] as const) {
    if (side.interrupted) reasons.push(`the ${label} run was interrupted (Ctrl-C): it holds only the cases finished before it stopped`);
  }
  out.conclusion = {
    kind: reasons.length > 0 ? 'inconclusive' : counts.slower > 0 ? 'regressions' : counts.faster > 0 ? 'improvements' : 'no-change',
    reasons,
  };
  return out;
}

function describeSide(r: ResultFile, source: string): SideInfo {
  return {
    source,
    gitCommit: r.tool.gitCommit,
    placement: placementsOf(r).join(', '),
    ...(r.env.hostname !== undefined ? { hostname: r.env.hostname } : {}),
    runs: r.config.runs,
    quick: r.config.quick,
    interrupted: r.interrupted === true,
  };
}

/** A probability as a percentage with at most one decimal: 0.95 -> "95 %", 0.968 -> "96.8 %". */
export function pct0(x: number): string {
  return `${(x * 100).toFixed(1).replace(/\.0$/, '')} %`;
}

const PROBE_ORDER: Record<ProbeKind, number> = { latency: 0, throughput: 1, rate: 2 };
const TOPOLOGY_ORDER: Record<Topology, number> = { 'same-pod': 0, 'cross-pod': 1 };

function byCaseOrder(a: CaseComparison, b: CaseComparison): number {
  return (
    PROBE_ORDER[a.probe] - PROBE_ORDER[b.probe] ||
    TOPOLOGY_ORDER[a.topology] - TOPOLOGY_ORDER[b.topology] ||
    a.messageBytes - b.messageBytes ||
    a.mechanism.localeCompare(b.mechanism, 'en') ||
    a.key.localeCompare(b.key, 'en')
  );
}

function runValue(r: CaseResult['runs'][number], metric: Metric): number | undefined {
  switch (metric) {
    case 'p50':
      return r.latencyNs?.p50;
    case 'msgsPerSec':
      return r.throughput?.msgsPerSec;
    case 'responseP99':
      return r.responseNs?.p99;
    case 'sustainableRatePerSec':
      return r.sustainableRatePerSec;
  }
}

function metricValues(c: CaseResult, metric: Metric): number[] {
  const values: number[] = [];
  for (const r of c.runs) {
    if (r.status !== 'ok') continue;
    const v = runValue(r, metric);
    if (v !== undefined) values.push(v);
  }
  return values;
}

function side(values: number[]): Side {
  const m = median(values);
  return { values, median: m, spreadPct: m > 0 ? ((Math.max(...values) - Math.min(...values)) / m) * 100 : 0 };
}

function compareCase(key: string, b: CaseResult, h: CaseResult, options: CompareOptions): CaseComparison | { key: string; reason: string } | 'neither' {
  const metric = metricOf(b);
  const bv = metricValues(b, metric);
  const hv = metricValues(h, metric);
  if (bv.length === 0 && hv.length === 0) return 'neither';
  if (bv.length === 0 || hv.length === 0) {
    const why = (label: string, c: CaseResult, n: number): string =>
      n === 0 ? `${label} has no ok runs (${c.status}${c.reason ? `: ${c.reason}` : ''})` : '';
    return { key, reason: [why('base', b, bv.length), why('head', h, hv.length)].filter(Boolean).join('; ') };
  }
  if ([...bv, ...hv].some((v) => !(v > 0))) {
    if (metric === 'sustainableRatePerSec') {
      return { key, reason: `a run's search found no sustainable rate (not even the start rate held within the budget), so no ratio can be formed; the report's sustainable-rate table has the steps` };
    }
    return { key, reason: 'a run reported a zero or negative value, so no ratio can be formed' };
  }
  const base = side(bv);
  const head = side(hv);
  const ratio = ratioInterval(bv, hv, 1 - options.alpha);
  const test = mannWhitneyU(hv, bv);
  const out: CaseComparison = {
    key,
    mechanism: mechanismLabel(b),
    ...(b.variant ? { variant: b.variant } : {}),
    runtime: b.runtime,
    placement: h.placement,
    probe: b.probe,
    messageBytes: b.messageBytes,
    ...(b.ratePerSec !== undefined ? { ratePerSec: b.ratePerSec } : {}),
    ...(b.p99BudgetNs !== undefined ? { p99BudgetNs: b.p99BudgetNs } : {}),
    ...(b.burst !== undefined ? { burst: b.burst } : {}),
    topology: b.topology,
    metric,
    base,
    head,
    changePct: (head.median / base.median - 1) * 100,
    ci: { lowPct: (ratio.low - 1) * 100, highPct: (ratio.high - 1) * 100, confidence: ratio.confidence },
    p: test.p,
    // Decided by decide() once every case's p is known.
    q: test.p,
    minP: test.minP,
    verdict: '~',
    why: '',
  };
  if (metric === 'p50') {
    const p99 = (c: CaseResult): number[] => c.runs.filter((r) => r.status === 'ok' && r.latencyNs).map((r) => r.latencyNs!.p99);
    const b99 = p99(b);
    const h99 = p99(h);
    if (b99.length && h99.length && median(b99) > 0) out.p99ChangePct = (median(h99) / median(b99) - 1) * 100;
  }
  return out;
}

/**
 * The verdict of one case, given its q-value: a change counts only when it is significant
 * after adjusting for the number of cases compared and at least the threshold in size.
 */
function decide(c: CaseComparison, q: number, options: CompareOptions): void {
  c.q = q;
  const n = `${c.base.values.length} vs ${c.head.values.length} runs`;
  if (c.minP >= options.alpha) {
    c.why = `p=${formatP(c.p)}: ${n} cannot reach p<${options.alpha}`;
  } else if (q >= options.alpha) {
    c.why = q > c.p
      ? `p=${formatP(c.p)}, q=${formatP(q)} >= α=${options.alpha} after adjusting for the cases compared: no detectable change`
      : `p=${formatP(c.p)} >= α=${options.alpha}: no detectable change`;
  } else if (Math.abs(c.changePct) < options.thresholdPct) {
    c.why = `significant (q=${formatP(q)}) but ${formatPct(c.changePct)} is under the ${options.thresholdPct} % threshold`;
  } else {
    const worse = lowerIsBetter(c.metric) ? c.changePct > 0 : c.changePct < 0;
    c.verdict = worse ? 'slower' : 'faster';
    c.why = `q=${formatP(q)} < α=${options.alpha} and |change| >= ${options.thresholdPct} %`;
    return;
  }
  c.verdict = '~';
}

/**
 * Exit code of a comparison: 1 when any case is significantly slower beyond the threshold
 * (even in an inconclusive comparison: a gate should look), else 0.
 */
export function compareExitCode(c: Comparison): 0 | 1 {
  return c.counts.slower > 0 ? 1 : 0;
}

/**
 * The change as a factor of time, as hyperfine prints it: latency head/base, throughput
 * base/head (time per message), so "1.42x slower" means the same for both probes. The
 * interval is mapped the same way.
 */
export function timeFactor(c: CaseComparison): { factor: number; low: number; high: number } {
  const r = 1 + c.changePct / 100;
  const lo = 1 + c.ci.lowPct / 100;
  const hi = 1 + c.ci.highPct / 100;
  return lowerIsBetter(c.metric) ? { factor: r, low: lo, high: hi } : { factor: 1 / r, low: 1 / hi, high: 1 / lo };
}
