/**
 * compare as GitHub-flavoured Markdown, ready to post as a PR comment: the conclusion,
 * then what differs between the two runs, then the significant changes; the `~` cases are
 * folded into a <details> block, most changed first. The whole stays under
 * MAX_MARKDOWN_CHARS (GitHub refuses comments over 65,536 characters): when the folded
 * table would not fit, its least-changed rows are cut and counted.
 */
import type { Exporter } from '../exporter.js';
import { formatP, formatPct, mdCell } from '../report/format.js';
import type { CaseComparison, Comparison, Verdict } from './engine.js';
import {
  aaLine,
  caseLabel,
  ciHeader,
  ciText,
  configWarning,
  countsLine,
  envWarning,
  headline,
  METHOD_NOTE,
  metricLabel,
  mostChangedFirst,
  noiseLine,
  onlyLine,
  shortCommit,
  sideText,
  unmeasuredLine,
} from './words.js';

export const MAX_MARKDOWN_CHARS = 60_000;

const VERDICT_MD: Record<Verdict, string> = { faster: '✅ faster', slower: '❌ slower', '~': '~' };
const code = (s: string): string => `\`${s}\``;

function tableHeader(c: Comparison): string[] {
  return [`| case | metric | base | head | change | ${ciHeader(c)} | p | q | p99 Δ | verdict |`, '|---|---|--:|--:|--:|:-:|--:|--:|--:|:-:|'];
}

function row(x: CaseComparison): string {
  const cells = [
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
  ];
  return `| ${cells.map(mdCell).join(' | ')} |`;
}

function render(c: Comparison, foldedRows: number): string {
  const lines: string[] = [];
  lines.push(`### podipc compare: \`${shortCommit(c.base.gitCommit)}\` → \`${shortCommit(c.head.gitCommit)}\` (${c.head.placement})`, '');
  lines.push(headline(c, (s) => `**${s}**`), '');
  // What differs between the two runs comes before any number.
  const config = configWarning(c, code);
  const env = envWarning(c, code);
  if (config) lines.push(`> [!WARNING]`, `> ${config}`, '');
  if (env) lines.push(`> [!WARNING]`, `> ${env}`, '');
  if (c.aa) lines.push(`> [!NOTE]`, `> ${aaLine(c, code)}`, '');
  if (c.significanceNote) lines.push(`> [!IMPORTANT]`, `> ${c.significanceNote}`, '');
  lines.push(countsLine(c), '', noiseLine(c), '');

  const changed = mostChangedFirst(c.cases.filter((x) => x.verdict !== '~'));
  const same = mostChangedFirst(c.cases.filter((x) => x.verdict === '~'));
  if (changed.length) lines.push('#### Significant changes', '', ...tableHeader(c), ...changed.map(row), '');
  if (same.length) {
    const shown = same.slice(0, foldedRows);
    const cut = same.length - shown.length;
    lines.push(
      `<details><summary>${same.length} case${same.length === 1 ? '' : 's'} with no detectable change (~), most changed first</summary>`,
      '',
      ...tableHeader(c),
      ...shown.map(row),
      ...(cut > 0 ? ['', `… and ${cut} less-changed cases, cut to keep this comment under ${MAX_MARKDOWN_CHARS.toLocaleString('en')} characters: \`podipc compare --format csv\` lists every one.`] : []),
      '',
      '</details>',
      '',
    );
  }
  lines.push(METHOD_NOTE(c));
  if (c.ciNote) lines.push('', c.ciNote);
  const tail = [unmeasuredLine(c), onlyLine('base', c.onlyInBase, 20, code), onlyLine('head', c.onlyInHead, 20, code)].filter((x): x is string => x !== undefined);
  if (tail.length) lines.push('', ...tail.flatMap((t) => [t, '']));
  if (c.notCompared.length) {
    lines.push('', `Measured on one side only (${c.notCompared.length}):`, '');
    for (const n of c.notCompared.slice(0, 40)) lines.push(`- \`${n.key}\`: ${mdCell(n.reason)}`);
    if (c.notCompared.length > 40) lines.push(`- … and ${c.notCompared.length - 40} more (\`--format csv\` lists them)`);
  }
  return lines.join('\n').replace(/\n+$/, '') + '\n';
}

/** The Markdown, with as many folded `~` rows as fit under MAX_MARKDOWN_CHARS. */
export function formatCompareMarkdown(c: Comparison): string {
  let rows = c.cases.length;
  let text = render(c, rows);
  while (text.length > MAX_MARKDOWN_CHARS && rows > 0) {
    // Each row is about the same length: cut in proportion, then a little more.
    const over = text.length - MAX_MARKDOWN_CHARS;
    const perRow = Math.max(1, text.length / Math.max(1, c.cases.length + 10));
    rows = Math.max(0, rows - Math.ceil(over / perRow) - 1);
    text = render(c, rows);
  }
  return text;
}

export const compareMarkdown: Exporter<Comparison> = {
  format: 'md',
  summary: 'GitHub Markdown for a PR comment (under 60,000 characters)',
  async serialize(c) {
    return [{ path: 'compare.md', data: formatCompareMarkdown(c) }];
  },
};
