/**
 * report.md: GitHub-flavoured Markdown laid out from the report model (tables.ts). Pure.
 * The answer comes first, then the charts and the tables; the detail tables (every number
 * per size) stay in report.html and report.csv, so a full default run stays a page a
 * person reads (under 250 lines).
 */
import type { ResultFile } from '../../core/results.js';
import type { Exporter } from '../exporter.js';
import { buildChartSpecs } from './charts.js';
import { mdCell } from './format.js';
import { buildReportModel, type Table } from './tables.js';

function mdTable(t: Table): string[] {
  const align = t.numeric.map((n) => (n ? '--:' : '---'));
  return [
    `| ${t.header.map(mdCell).join(' | ')} |`,
    `|${align.join('|')}|`,
    ...t.rows.map((r) => `| ${r.map((cell) => mdCell(cell || ' ')).join(' | ')} |`),
  ];
}

/** Every footnote the tables use, once: the legend of the markers. */
function legend(tables: readonly Table[]): string[] {
  return [...new Set(tables.flatMap((t) => t.footnotes))];
}

/** The Markdown report; chart images are referenced as charts/<id>.png next to it. */
export function renderMarkdown(results: ResultFile): string {
  const m = buildReportModel(results);
  const lines: string[] = [`# ${m.title}`, ''];
  for (const b of m.banners) lines.push(`> [!WARNING]`, `> ${b.text}`, '');
  lines.push(...m.summary.flatMap((s) => [s, '']));
  const [answers, rest] = [m.sections.filter((s) => s.kind === 'answer'), m.sections.filter((s) => s.kind !== 'answer')];
  const section = (s: (typeof m.sections)[number]): void => {
    lines.push(`## ${s.heading}`, '', s.intro, '');
    // GitHub renders a table right under its heading: no blank line, a shorter page.
    for (const t of s.tables) lines.push(`### ${s.heading}: ${t.heading}`, ...mdTable(t), '');
    if (s.notes.length) lines.push(...s.notes.map((n) => `- ${n.replace(/\r?\n/g, ' ')}`), '');
  };
  answers.forEach(section);
  const charts = buildChartSpecs(results);
  if (charts.length) {
    lines.push('## Charts', '');
    // One paragraph, three images a line: they flow one after another.
    const images = charts.map((c) => `![${mdCell(c.title)}](charts/${c.id}.png)`);
    for (let i = 0; i < images.length; i += 3) lines.push(images.slice(i, i + 3).join(' '));
    lines.push('');
  }
  const markers = legend(rest.flatMap((s) => s.tables));
  if (markers.length) lines.push(markers.map((f) => `<sub>${mdCell(f)}</sub>`).join('<br>\n'), '');
  rest.forEach(section);
  lines.push('## Environment', '', '| | |', '|---|---|');
  lines.push(...m.env.map(([k, v]) => `| ${mdCell(k)} | ${mdCell(v)} |`), '');
  lines.push('Every number of every case, per size: report.html and report.csv; every run: results.json.');
  return lines.join('\n').replace(/\n+$/, '') + '\n';
}

export const reportMarkdown: Exporter<ResultFile> = {
  format: 'md',
  summary: 'report.md: the answer, then the tables (GitHub Markdown)',
  async serialize(results) {
    return [{ path: 'report.md', data: renderMarkdown(results) }];
  },
};
