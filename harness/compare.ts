/**
 * podipc compare BASE.json HEAD.json: per case, did HEAD get faster, slower, or is the change
 * indistinguishable from noise (`~`)? Modelled on benchstat: a Mann-Whitney U test over the
 * run-level values (each run is an independent process pair, the unit of statistics), a
 * minimum effect threshold, and "~" whenever either fails. Noise is shown, not hidden.
 *
 * `compareResults` is pure (data in, data out); the formatters build text; only
 * `compareCommand` reads files and writes to the terminal.
 */
import { parseArgs } from 'node:util';
import { caseKey, caseKeyWithoutPlacement, placementsOf, ResultFileError } from '../core/results.js';
import { mechanismLabel, type ProbeKind } from '../core/vocabulary.js';
import { readResultFile } from './results-file.js';
import type { CaseResult, ResultFile } from '../core/results.js';
import { benjaminiHochberg, mannWhitneyU, median, minRunsForSignificance, ratioInterval } from '../core/stats.js';
import { processIo, type CommandIo } from './command-io.js';
import { formatBytes, formatNs, formatP, formatPct, formatRate, mdCell, sig3 } from './report/format.js';

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

export interface CaseComparison {
  key: string;
  mechanism: string;
  probe: CaseResult['probe'];
  messageBytes: number;
  topology: CaseResult['topology'];
  /** `p50` (round-trip latency, ns, lower is better) or `msgsPerSec` (higher is better). */
  metric: 'p50' | 'msgsPerSec';
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

export interface EnvDifference {
  field: string;
  base: string;
  head: string;
}

export interface Comparison {
  options: CompareOptions;
  base: { source: string; gitCommit: string; placement: string; hostname?: string };
  head: { source: string; gitCommit: string; placement: string; hostname?: string };
  /** Same git commit on both sides: an A/A run, whose changes are pure noise. */
  aa: boolean;
  envDifferences: EnvDifference[];
  configDifferences: EnvDifference[];
  cases: CaseComparison[];
  onlyInBase: string[];
  onlyInHead: string[];
  /** Present on both sides but without ok runs on one of them. */
  notCompared: { key: string; reason: string }[];
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

/**
 * The environment facts that change results by tens of percent - kernel, CPU model, core
 * count, Node version, the placements, and per placement its Kubernetes version and the
 * resource controls it applied (pinning above all) - read from typed fields only, so a
 * fact that no placement writes cannot be compared.
 */
export function environmentFacts(r: Pick<ResultFile, 'env'>): Map<string, string> {
  const facts = new Map<string, string>([
    ['kernel', r.env.kernel],
    ['cpuModel', r.env.cpuModel],
    ['cores', String(r.env.cores)],
    ['nodeVersion', r.env.nodeVersion],
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

/** The knobs that shaped a run, as comparable text (every field of the typed config). */
function configFacts(r: Pick<ResultFile, 'config'>): Map<string, string> {
  return new Map(Object.entries(r.config).map(([k, v]) => [k, show(v)]));
}

function differences(base: Map<string, string>, head: Map<string, string>): EnvDifference[] {
  const out: EnvDifference[] = [];
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
  for (const [key, b] of baseCases) {
    const h = headCases.get(key);
    if (!h) continue;
    const compared = compareCase(key, b, h, options);
    if ('reason' in compared) notCompared.push(compared);
    else cases.push(compared);
  }
  cases.sort(byCaseOrder);
  const qValues = benjaminiHochberg(cases.map((c) => c.p));
  cases.forEach((c, i) => decide(c, qValues[i]!, options));
  const onlyInBase = [...baseCases.keys()].filter((k) => !headCases.has(k)).sort();
  const onlyInHead = [...headCases.keys()].filter((k) => !baseCases.has(k)).sort();

  const envDifferences = differences(environmentFacts(base), environmentFacts(head));
  const configDifferences = differences(configFacts(base), configFacts(head));

  const spreadsBase = cases.map((c) => c.base.spreadPct);
  const spreadsHead = cases.map((c) => c.head.spreadPct);
  let noisiest: Comparison['noise']['noisiest'];
  for (const c of cases) {
    const s = Math.max(c.base.spreadPct, c.head.spreadPct);
    if (!noisiest || s > noisiest.spreadPct) noisiest = { key: c.key, spreadPct: s };
  }
  const noise: Comparison['noise'] = {
    medianAbsChangePct: cases.length ? median(cases.map((c) => Math.abs(c.changePct))) : 0,
    medianSpreadPctBase: spreadsBase.length ? median(spreadsBase) : 0,
    medianSpreadPctHead: spreadsHead.length ? median(spreadsHead) : 0,
    ...(noisiest ? { noisiest } : {}),
  };

  const out: Comparison = {
    options,
    base: describeSide(base, sources.base),
    head: describeSide(head, sources.head),
    // Same commit = same code, unless the commit is unknown or the tree was dirty (uncommitted edits).
    aa: base.tool.gitCommit === head.tool.gitCommit && !['', 'unknown'].includes(base.tool.gitCommit) && !base.tool.gitCommit.endsWith('-dirty'),
    envDifferences,
    configDifferences,
    cases,
    onlyInBase,
    onlyInHead,
    notCompared,
    noise,
    counts: {
      faster: cases.filter((c) => c.verdict === 'faster').length,
      slower: cases.filter((c) => c.verdict === 'slower').length,
      unchanged: cases.filter((c) => c.verdict === '~').length,
    },
  };

  const hopeless = cases.filter((c) => c.minP >= options.alpha);
  if (hopeless.length > 0) {
    const sizes = [...new Set(hopeless.map((c) => `${c.base.values.length} vs ${c.head.values.length}`))].join(' or ');
    const smallestP = Math.min(...hopeless.map((c) => c.minP));
    const bare = minRunsForSignificance(options.alpha);
    const robust = minRunsForSignificance(options.alpha, 1);
    out.significanceNote =
      `With ${sizes} runs the smallest possible p-value is ${formatP(smallestP)}, so ` +
      `${hopeless.length === cases.length ? 'no case' : `${hopeless.length} of ${cases.length} cases`} ` +
      `can be significant at α = ${options.alpha}: ${hopeless.length === cases.length ? 'every verdict is `~` by construction' : 'those verdicts are `~` by construction'}. ` +
      `Detecting a change needs at least ${bare} runs per side (and then only when every run moved); ` +
      `use --runs ${robust} or more on both sides, which tolerates one out-of-order run. benchstat has the same limit.`;
  }
  const level = 1 - options.alpha;
  const lowCi = cases.filter((c) => c.ci.confidence < level - 1e-9);
  if (lowCi.length > 0) {
    const groups = new Map<string, number>();
    for (const c of lowCi) groups.set(`${pct0(c.ci.confidence)} with ${c.base.values.length} vs ${c.head.values.length} runs`, 1);
    out.ciNote =
      `${lowCi.length === cases.length ? 'All' : `${lowCi.length} of ${cases.length}`} confidence intervals are the full range of ` +
      `pairwise run ratios, which is as wide as these run counts allow and still covers less than ${pct0(level)}: ` +
      `${[...groups.keys()].join(', ')}.`;
  }
  return out;
}

function describeSide(r: ResultFile, source: string): Comparison['base'] {
  return {
    source,
    gitCommit: r.tool.gitCommit,
    placement: placementsOf(r).join(', '),
    ...(r.env.hostname !== undefined ? { hostname: r.env.hostname } : {}),
  };
}

function show(v: unknown): string {
  if (v === undefined) return '(unset)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A probability as a percentage with at most one decimal: 0.95 -> "95 %", 0.968 -> "96.8 %". */
function pct0(x: number): string {
  return `${(x * 100).toFixed(1).replace(/\.0$/, '')} %`;
}

const PROBE_ORDER: Record<ProbeKind, number> = { latency: 0, throughput: 1, rate: 2 };
const TOPOLOGY_ORDER = { 'same-pod': 0, 'cross-pod': 1 } as const;

function byCaseOrder(a: CaseComparison, b: CaseComparison): number {
  return (
    PROBE_ORDER[a.probe] - PROBE_ORDER[b.probe] ||
    TOPOLOGY_ORDER[a.topology] - TOPOLOGY_ORDER[b.topology] ||
    a.messageBytes - b.messageBytes ||
    a.mechanism.localeCompare(b.mechanism, 'en')
  );
}

function metricValues(c: CaseResult, metric: CaseComparison['metric']): number[] {
  const values: number[] = [];
  for (const r of c.runs) {
    if (r.status !== 'ok') continue;
    const v = metric === 'p50' ? r.latencyNs?.p50 : r.throughput?.msgsPerSec;
    if (v !== undefined) values.push(v);
  }
  return values;
}

function side(values: number[]): Side {
  const m = median(values);
  return { values, median: m, spreadPct: m > 0 ? ((Math.max(...values) - Math.min(...values)) / m) * 100 : 0 };
}

function compareCase(key: string, b: CaseResult, h: CaseResult, options: CompareOptions): CaseComparison | { key: string; reason: string } {
  const metric: CaseComparison['metric'] = b.probe === 'latency' ? 'p50' : 'msgsPerSec';
  const bv = metricValues(b, metric);
  const hv = metricValues(h, metric);
  if (bv.length === 0 || hv.length === 0) {
    const why = (label: string, c: CaseResult, n: number): string =>
      n === 0 ? `${label} has no ok runs (${c.status}${c.reason ? `: ${c.reason}` : ''})` : '';
    return { key, reason: [why('base', b, bv.length), why('head', h, hv.length)].filter(Boolean).join('; ') };
  }
  if ([...bv, ...hv].some((v) => !(v > 0))) {
    return { key, reason: 'a run reported a zero or negative value, so no ratio can be formed' };
  }
  const base = side(bv);
  const head = side(hv);
  const changePct = (head.median / base.median - 1) * 100;
  const ratio = ratioInterval(bv, hv, 1 - options.alpha);
  const test = mannWhitneyU(hv, bv);
  const out: CaseComparison = {
    key,
    mechanism: mechanismLabel(b),
    probe: b.probe,
    messageBytes: b.messageBytes,
    topology: b.topology,
    metric,
    base,
    head,
    changePct,
    ci: { lowPct: (ratio.low - 1) * 100, highPct: (ratio.high - 1) * 100, confidence: ratio.confidence },
    p: test.p,
    // Decided by decide() once every case's p is known.
    q: test.p,
    minP: test.minP,
    verdict: '~',
    why: '',
  };
  if (metric === 'p50') {
    const p99 = (c: CaseResult): number[] => c.runs.filter((r) => r.status === 'ok' && r.latencyNs).map((r) => r.latencyNs?.p99 as number);
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
    const worse = c.metric === 'p50' ? c.changePct > 0 : c.changePct < 0;
    c.verdict = worse ? 'slower' : 'faster';
    c.why = `q=${formatP(q)} < α=${options.alpha} and |change| >= ${options.thresholdPct} %`;
    return;
  }
  c.verdict = '~';
}

/** Exit code of a comparison: 1 when any case is significantly slower beyond the threshold. */
export function compareExitCode(c: Comparison): 0 | 1 {
  return c.counts.slower > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------

function shortCommit(commit: string): string {
  // 40-hex commits shorten to 7 like git does, keeping the runner's "-dirty" suffix.
  const m = /^([0-9a-f]{7})[0-9a-f]*(-dirty)?$/i.exec(commit);
  return m ? `${m[1]}${m[2] ?? ''}` : commit || '(unknown commit)';
}

function valueText(c: CaseComparison, v: number): string {
  return c.metric === 'p50' ? formatNs(v) : formatRate(v);
}

function sideText(c: CaseComparison, s: Side): string {
  return `${valueText(c, s.median)} ±${formatPct(s.spreadPct / 2, false)}`;
}

function ciText(c: CaseComparison): string {
  return `[${formatPct(c.ci.lowPct)}, ${formatPct(c.ci.highPct)}]`;
}

/** "90 % CI" when every case reached the same confidence, else "CI" (the note explains). */
function ciHeader(c: Comparison): string {
  const levels = new Set(c.cases.map((x) => pct0(x.ci.confidence)));
  return levels.size === 1 ? `${[...levels][0]} CI` : 'CI';
}

function caseLabel(c: CaseComparison): string {
  return `${c.mechanism} ${c.probe} ${formatBytes(c.messageBytes)} ${c.topology}`;
}

function metricLabel(c: CaseComparison): string {
  return c.metric === 'p50' ? 'p50 RTT' : 'msgs/s';
}

const VERDICT_MD: Record<Verdict, string> = { faster: '✅ faster', slower: '❌ slower', '~': '~' };

function summaryLine(c: Comparison): string {
  const { faster, slower, unchanged } = c.counts;
  const head = slower > 0 ? `**${slower} regression${slower === 1 ? '' : 's'}**` : '**No regressions**';
  return (
    `${head}: ${slower} slower, ${faster} faster, ${unchanged} ~ (no detectable change) of ${c.cases.length} compared cases. ` +
    `Mann-Whitney U over run-level values, α = ${c.options.alpha} on Benjamini-Hochberg q-values over the ${c.cases.length} cases compared, threshold ${c.options.thresholdPct} %.`
  );
}

function noiseLine(c: Comparison): string {
  const n = c.noise;
  const noisiest = n.noisiest ? ` Noisiest: ${n.noisiest.key} (${formatPct(n.noisiest.spreadPct, false)}).` : '';
  return (
    `Noise floor: median |change| across ${c.cases.length} cases ${formatPct(n.medianAbsChangePct, false)}; ` +
    `run-to-run spread (max−min)/median: median ${formatPct(n.medianSpreadPctBase, false)} (base), ${formatPct(n.medianSpreadPctHead, false)} (head).${noisiest}`
  );
}

function aaLine(c: Comparison): string {
  return (
    `A/A comparison: both sides are commit \`${shortCommit(c.base.gitCommit)}\`, so every change below is noise. ` +
    `Treat changes smaller than about ${formatPct(Math.max(c.noise.medianAbsChangePct * 2, c.noise.medianSpreadPctBase, c.noise.medianSpreadPctHead), false)} as indistinguishable from it.`
  );
}

function envWarning(c: Comparison): string {
  return (
    `Environments differ, so part of any change may come from the machine, not the code: ` +
    c.envDifferences.map((d) => `${d.field} (\`${d.base}\` vs \`${d.head}\`)`).join(', ') + '.'
  );
}

/** GitHub-flavoured Markdown, ready to paste into a PR comment. */
export function formatCompareMarkdown(c: Comparison): string {
  const lines: string[] = [];
  lines.push(`### podipc compare: \`${shortCommit(c.base.gitCommit)}\` → \`${shortCommit(c.head.gitCommit)}\` (${c.head.placement})`);
  lines.push('');
  lines.push(summaryLine(c));
  lines.push('');
  if (c.aa) lines.push(`> [!NOTE]`, `> ${aaLine(c)}`, '');
  if (c.envDifferences.length) lines.push(`> [!WARNING]`, `> ${envWarning(c)}`, '');
  if (c.significanceNote) lines.push(`> [!IMPORTANT]`, `> ${c.significanceNote}`, '');
  lines.push(noiseLine(c));
  lines.push('');

  const header = [
    `| case | metric | base | head | change | ${ciHeader(c)} | p | q | p99 Δ | verdict |`,
    '|---|---|--:|--:|--:|:-:|--:|--:|--:|:-:|',
  ];
  const row = (x: CaseComparison): string =>
    '| ' +
    [
      caseLabel(x),
      metricLabel(x),
      sideText(x, x.base),
      sideText(x, x.head),
      x.verdict === '~' ? formatPct(x.changePct) : `**${formatPct(x.changePct)}**`,
      ciText(x),
      formatP(x.p),
      formatP(x.q),
      x.p99ChangePct === undefined ? '' : formatPct(x.p99ChangePct),
      VERDICT_MD[x.verdict],
    ]
      .map(mdCell)
      .join(' | ') +
    ' |';

  const changed = c.cases.filter((x) => x.verdict !== '~');
  if (changed.length) {
    lines.push('#### Significant changes', '', ...header, ...changed.map(row), '');
  }
  if (c.cases.length) {
    const all = [...header, ...c.cases.map(row)];
    if (changed.length || c.cases.length > 12) {
      lines.push(`<details><summary>All ${c.cases.length} compared cases</summary>`, '', ...all, '', '</details>', '');
    } else {
      lines.push(...all, '');
    }
  }
  const level = pct0(1 - c.options.alpha);
  lines.push(
    `Base and head: median of the runs ± half their range. Change: head median / base median − 1. ` +
      `CI: distribution-free interval of the ratio from the sorted pairwise run ratios (Hodges-Lehmann / Bauer 1972), ` +
      `at the smallest exact confidence >= ${level} the run counts allow. ` +
      `Latency cases compare run-level p50 round trip (lower is better), throughput cases run-level msgs/s (higher is better); ` +
      `p99 Δ is informational.`,
  );
  if (c.ciNote) lines.push('', c.ciNote);
  if (c.configDifferences.length) {
    lines.push('', `Config differs: ${c.configDifferences.map((d) => `${d.field} (\`${d.base}\` → \`${d.head}\`)`).join(', ')}.`);
  }
  if (c.onlyInBase.length || c.onlyInHead.length || c.notCompared.length) {
    lines.push('');
    if (c.onlyInBase.length) lines.push(`Only in base (${c.onlyInBase.length}): ${c.onlyInBase.map((k) => `\`${k}\``).join(', ')}.`, '');
    if (c.onlyInHead.length) lines.push(`Only in head (${c.onlyInHead.length}): ${c.onlyInHead.map((k) => `\`${k}\``).join(', ')}.`, '');
    if (c.notCompared.length) {
      lines.push(`Not compared (${c.notCompared.length}):`, '');
      for (const n of c.notCompared) lines.push(`- \`${n.key}\`: ${n.reason}`);
      lines.push('');
    }
  }
  return lines.join('\n').replace(/\n+$/, '') + '\n';
}

/** Plain text for a terminal: aligned columns, the same facts. */
export function formatCompareText(c: Comparison): string {
  const lines: string[] = [];
  lines.push(`podipc compare ${c.base.source} (${shortCommit(c.base.gitCommit)}) -> ${c.head.source} (${shortCommit(c.head.gitCommit)})`);
  lines.push(summaryLine(c).replace(/\*\*/g, ''));
  if (c.aa) lines.push(`note: ${aaLine(c).replace(/`/g, '')}`);
  if (c.envDifferences.length) lines.push(`warning: ${envWarning(c).replace(/`/g, '')}`);
  if (c.significanceNote) lines.push(`note: ${c.significanceNote.replace(/`/g, '')}`);
  lines.push(noiseLine(c));
  if (c.ciNote) lines.push(`note: ${c.ciNote}`);
  lines.push('');
  const rows = [
    ['case', 'metric', 'base', 'head', 'change', ciHeader(c), 'p', 'q', 'verdict'],
    ...c.cases.map((x) => [caseLabel(x), metricLabel(x), sideText(x, x.base), sideText(x, x.head), formatPct(x.changePct), ciText(x), formatP(x.p), formatP(x.q), x.verdict]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  for (const r of rows) lines.push(r.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd());
  for (const k of c.onlyInBase) lines.push(`only in base: ${k}`);
  for (const k of c.onlyInHead) lines.push(`only in head: ${k}`);
  for (const n of c.notCompared) lines.push(`not compared: ${n.key}: ${n.reason}`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------
// CLI glue
// ---------------------------------------------------------------------------------------

const COMPARE_USAGE =
  'usage: podipc compare BASE.json HEAD.json [--threshold PCT] [--alpha A] [--format md|json|text]';

/** `podipc compare`: returns 0 (no regression), 1 (a significant regression), 2 (bad input). */
export async function compareCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        threshold: { type: 'string' },
        alpha: { type: 'string' },
        format: { type: 'string', default: 'md' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.stderr(`podipc compare: ${(err as Error).message}\n${COMPARE_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${COMPARE_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 2) {
    io.stderr(`podipc compare: expected two results files (BASE.json HEAD.json), got ${positionals.length}.\n${COMPARE_USAGE}\n`);
    return 2;
  }
  const thresholdPct = values.threshold === undefined ? DEFAULT_COMPARE_OPTIONS.thresholdPct : Number(values.threshold);
  if (!Number.isFinite(thresholdPct) || thresholdPct < 0) {
    io.stderr(`podipc compare: --threshold ${values.threshold} is not a percentage; pass a number >= 0 such as --threshold 5.\n`);
    return 2;
  }
  const alpha = values.alpha === undefined ? DEFAULT_COMPARE_OPTIONS.alpha : Number(values.alpha);
  if (!(alpha > 0 && alpha < 1)) {
    io.stderr(`podipc compare: --alpha ${values.alpha} must be between 0 and 1 (exclusive); the usual choice is --alpha 0.05.\n`);
    return 2;
  }
  const format = values.format as string;
  if (!['md', 'json', 'text'].includes(format)) {
    io.stderr(`podipc compare: unknown --format '${format}'. Use --format md (PR comment), text (terminal) or json.\n`);
    return 2;
  }
  const [basePath, headPath] = positionals as [string, string];
  let base: ResultFile;
  let head: ResultFile;
  try {
    base = await readResultFile(basePath);
    head = await readResultFile(headPath);
  } catch (err) {
    if (err instanceof ResultFileError) {
      io.stderr(`podipc compare: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const result = compareResults(base, head, { thresholdPct, alpha }, { base: basePath, head: headPath });
  io.stdout(format === 'json' ? JSON.stringify(result, null, 2) + '\n' : format === 'text' ? formatCompareText(result) : formatCompareMarkdown(result));
  return compareExitCode(result);
}

