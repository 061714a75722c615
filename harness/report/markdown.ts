/**
 * report.md: GitHub-flavoured Markdown laid out from the report model. Pure.
 */
import type { ResultFile } from '../../core/results.js';
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

/** The Markdown report; chart images are referenced as charts/<id>.png next to it. */
export function renderMarkdown(results: ResultFile): string {
  const m = buildReportModel(results);
  const lines: string[] = [`# ${m.title}`, ''];
  lines.push(...m.summary.flatMap((s) => [s, '']));
  if (m.highlights.length) {
    lines.push('Highlights (smallest message size measured):', '');
    lines.push(...m.highlights.map((h) => `- ${h}`), '');
  }
  lines.push('## Environment', '', '| | |', '|---|---|');
  lines.push(...m.env.map(([k, v]) => `| ${mdCell(k)} | ${mdCell(v)} |`), '');

  const charts = buildChartSpecs(results);
  if (charts.length) {
    lines.push('## Charts', '');
    for (const c of charts) lines.push(`![${mdCell(c.title)}](charts/${c.id}.png)`, '');
  }
  for (const s of m.sections) {
    lines.push(`## ${s.heading}`, '', s.intro, '');
    for (const t of s.tables) lines.push(`### ${s.heading}: ${t.heading}`, '', ...mdTable(t), '');
  }
  if (m.problems.length) {
    lines.push('## Skipped and failed cases', '');
    lines.push(...m.problems.map((p) => `- **${p.status}** ${p.key}: ${p.reason.replace(/\r?\n/g, ' ')}`), '');
  }
  return lines.join('\n').replace(/\n+$/, '') + '\n';
}
