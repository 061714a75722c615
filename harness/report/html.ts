/**
 * report.html: one self-contained file (no network) with the report's tables and
 * interactive Chart.js charts, openable from a CI artifact. Chart.js's UMD build, the data,
 * the stylesheet and the scripts are inlined; the chart code is the same function the PNG
 * renderer uses (chart-kit.ts), inlined by its source text. Laid out from the report model
 * (tables.ts) generically: whatever sections and tables it holds, in its order, each table
 * sortable and filterable, with a table of contents. Pure: the caller passes Chart.js.
 */
import type { ResultFile } from '../../core/results.js';
import { chartKit } from './chart-kit.js';
import { buildChartSpecs, type ChartSpec } from './charts.js';
import { htmlEscape } from './format.js';
import { REPORT_CSS, tableScript } from './html-client.js';
import { buildReportModel, type ReportModel, type Section, type Table } from './tables.js';

/** Row statuses the layout understands: skipped rows are hidden until asked for. */
type RowStatus = 'ok' | 'skipped' | 'failed';

/** Inline text with **bold** (the only Markdown the model uses) to HTML; short hyphenated or slashed tokens never break. */
function inline(text: string): string {
  return htmlEscape(text)
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[\s(>])([^\s<>()]*[-/][^\s<>()]*)(?=$|[\s),.;:<])/g, (m, pre: string, token: string) =>
      token.length <= 40 && !token.includes('&') ? `${pre}<span class="nw">${token}</span>` : m,
    );
}

const UNIT_FACTORS: Record<string, number> = {
  ns: 1e-9,
  µs: 1e-6,
  us: 1e-6,
  ms: 1e-3,
  s: 1,
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  '%': 1,
  x: 1,
  '×': 1,
};

/**
 * The number a table cell sorts by, units understood: "950 ns" < "1.2 µs" < "3 ms",
 * "190 k msg/s" = 190000, "1.1 GB/s" = 1.1e9, "64 B" < "1 KiB", "2/3" = 0.667. Leading marks
 * (✓, ✗, ~, ≈, <) and trailing notes are ignored; undefined when the cell holds no number.
 */
export function sortValue(cell: string): number | undefined {
  const text = cell.replace(/\*\*/g, '').trim();
  const ratio = /^(\d+)\s*\/\s*(\d+)$/.exec(text);
  if (ratio) return Number(ratio[2]) > 0 ? Number(ratio[1]) / Number(ratio[2]) : undefined;
  const m = /([-+−]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?)\s*([a-zA-Zµ%×]+)?/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]!.replace(/,/g, '').replace('−', '-'));
  if (!Number.isFinite(n)) return undefined;
  const unit = (m[2] ?? '').replace(/\/s$/, '');
  const factor = UNIT_FACTORS[unit] ?? UNIT_FACTORS[unit.replace(/B$/, '')] ?? 1;
  return n * factor;
}

/**
 * A row's status, from the model's cell flags: skipped when a cell is skipped and no cell holds
 * a number (a mechanism that ran at some sizes keeps its row visible), failed when any cell failed.
 */
function rowStatus(t: Table, i: number): RowStatus {
  // The matrix of what cannot run where is the list of skipped cases itself: never hidden.
  if (t.id.startsWith('cannot-run')) return 'ok';
  const cells = t.cells[i] ?? [];
  if (cells.some((c) => c.flag === 'skipped') && cells.every((c) => c.flag === 'skipped' || c.value === undefined)) return 'skipped';
  if (cells.some((c) => c.flag === 'failed')) return 'failed';
  return 'ok';
}

/** Short text cells (a name, "✓ 421 k msgs") stay on one line; longer ones wrap at spaces. */
const SHORT_CELL_CHARS = 20;

function cellHtml(cell: string, numeric: boolean): string {
  if (!numeric) return `<td${cell.length <= SHORT_CELL_CHARS ? ' class="nw"' : ''}>${inline(cell)}</td>`;
  const v = sortValue(cell);
  return `<td class="num"${v === undefined ? '' : ` data-sort="${v}"`}>${htmlEscape(cell)}</td>`;
}

function htmlTable(t: Table, caption: string, id?: string): string {
  const th = t.header
    .map((h, i) => `<th scope="col"${t.numeric[i] ? ' class="num"' : ''} aria-sort="none"><button type="button" title="sort by ${htmlEscape(h)}">${htmlEscape(h)}</button></th>`)
    .join('');
  const rows = t.rows
    .map((r, i) => `<tr class="status-${rowStatus(t, i)}">${r.map((cell, c) => cellHtml(cell, !!t.numeric[c])).join('')}</tr>`)
    .join('\n');
  return `<div class="table-block"${id ? ` id="${id}"` : ''}><div class="table-wrap"><table class="data"><caption>${htmlEscape(caption)}</caption><thead><tr>${th}</tr></thead><tbody>\n${rows}\n</tbody></table></div></div>`;
}

/** Text safe inside <script>: no "</script" can close the element early. */
function scriptSafe(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

/** JSON safe inside <script type="application/json">: escape every "<". */
function jsonSafe(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

interface TocEntry {
  id: string;
  text: string;
  children: TocEntry[];
}

/** Unique, readable anchors. */
function anchors(): (text: string) => string {
  const used = new Set<string>();
  return (text) => {
    const base = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'section';
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return id;
  };
}

function tocHtml(entries: TocEntry[]): string {
  const item = (e: TocEntry): string =>
    `<li><a href="#${e.id}">${htmlEscape(e.text)}</a>${
      e.children.length ? `<ol class="sub${e.children.every((c) => c.text.length <= 12) ? ' inline' : ''}">${e.children.map(item).join('')}</ol>` : ''
    }</li>`;
  return `<ol>${entries.map(item).join('')}</ol>`;
}

/** The PNG's subtitle lines, rejoined where they were wrapped to its width (a line ending in ";"). */
function subtitleText(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.endsWith(';')) out[out.length - 1] = `${prev} ${line}`;
    else out.push(line);
  }
  return out;
}

function figureHtml(c: ChartSpec, id: string): string {
  const panels = c.panels
    .map((p, i) => `<div class="panel"><canvas id="chart-${htmlEscape(c.id)}-${i}" role="img" aria-label="${htmlEscape(`${c.title}${p.title ? `: ${p.title}` : ''}`)}"></canvas></div>`)
    .join('');
  return [
    `<figure id="${id}" class="chart-figure" data-chart="${htmlEscape(c.id)}">`,
    `<figcaption><strong>${htmlEscape(c.title)}</strong>${subtitleText(c.subtitle).map((s) => `<span>${htmlEscape(s)}</span>`).join('')}${c.warning ? `<span class="warn">${htmlEscape(c.warning)}</span>` : ''}</figcaption>`,
    `<div class="panels" style="--cols: ${c.columns}">${panels}</div>`,
    '</figure>',
  ].join('');
}

function body(m: ReportModel, charts: ChartSpec[]): { toc: TocEntry[]; html: string[]; skippedRows: number } {
  const anchor = anchors();
  const toc: TocEntry[] = [];
  const html: string[] = [];
  let skippedRows = 0;
  const summaryId = anchor('summary');
  toc.push({ id: summaryId, text: 'Summary', children: [] });
  html.push(`<h1 id="${summaryId}">${htmlEscape(m.title)}</h1>`);
  for (const b of m.banners) html.push(`<p class="banner ${b.kind}" role="note"><strong>Warning:</strong> ${inline(b.text)}</p>`);
  html.push(...m.summary.map((s) => `<p>${inline(s)}</p>`));
  const tablesOf = (s: Section, children: TocEntry[]): void => {
    for (const t of s.tables) {
      const tid = anchor(`${s.heading} ${t.heading}`);
      children.push({ id: tid, text: t.heading, children: [] });
      skippedRows += t.rows.filter((_, i) => rowStatus(t, i) === 'skipped').length;
      html.push(htmlTable(t, `${s.heading}: ${t.heading}`, tid));
      if (t.footnotes.length) html.push(`<p class="footnotes">${t.footnotes.map((f) => `<small>${htmlEscape(f)}</small>`).join('<br>')}</p>`);
    }
    if (s.notes.length) html.push(`<ul class="notes">${s.notes.map((n) => `<li>${inline(n)}</li>`).join('')}</ul>`);
  };
  const section = (s: Section): void => {
    const id = anchor(s.heading);
    const children: TocEntry[] = [];
    html.push(`<h2 id="${id}">${htmlEscape(s.heading)}</h2>`, `<p>${inline(s.intro)}</p>`);
    tablesOf(s, children);
    toc.push({ id, text: s.heading, children });
  };
  // The answer comes before the charts, the tables after them (as in report.md).
  m.sections.filter((s) => s.kind === 'answer').forEach(section);
  if (charts.length) {
    const id = anchor('charts');
    const children: TocEntry[] = [];
    html.push(`<h2 id="${id}">Charts</h2>`, '<p id="podipc-chart-status">Charts need JavaScript; the tables have every number.</p>');
    for (const c of charts) {
      const fid = anchor(`chart ${c.id}`);
      children.push({ id: fid, text: c.title, children: [] });
      html.push(figureHtml(c, fid));
    }
    toc.push({ id, text: 'Charts', children });
  }
  m.sections.filter((s) => s.kind !== 'answer').forEach(section);
  if (m.details.length) {
    const id = anchor('every number');
    const children: TocEntry[] = [];
    html.push(`<h2 id="${id}">Every number, per size</h2>`, '<p>p50/p99/p99.9, CPU per side, integrity and runs of every case (report.csv has the same rows).</p>');
    for (const d of m.details) {
      html.push(`<details class="detail"><summary>${htmlEscape(d.heading)}</summary>`, `<p>${inline(d.intro)}</p>`);
      tablesOf(d, children);
      html.push('</details>');
    }
    toc.push({ id, text: 'Every number', children });
  }
  const envId = anchor('environment');
  html.push(
    `<h2 id="${envId}">Environment</h2>`,
    `<div class="table-wrap"><table class="env"><tbody>${m.env.map(([k, v]) => `<tr><td>${htmlEscape(k)}</td><td>${htmlEscape(v)}</td></tr>`).join('')}</tbody></table></div>`,
  );
  toc.push({ id: envId, text: 'Environment', children: [] });
  return { toc, html, skippedRows };
}

/** The HTML report. `chartJsUmdSource` is the text of chart.js/dist/chart.umd.js. */
export function renderHtml(results: ResultFile, chartJsUmdSource: string): string {
  const m = buildReportModel(results);
  const charts = buildChartSpecs(results);
  const { toc, html, skippedRows } = body(m, charts);
  const parts: string[] = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${htmlEscape(m.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head><body>',
    '<div class="page">',
    '<nav class="toc" aria-label="Contents">',
    '<div class="controls" role="search">',
    '<label for="podipc-filter">Filter table rows</label>',
    '<input id="podipc-filter" type="search" placeholder="e.g. shm 64 B" autocomplete="off" spellcheck="false">',
    // Rows with nothing measured (every value skipped) are hidden until asked for.
    ...(skippedRows > 0 ? [`<label class="check"><input type="checkbox" id="podipc-show-skipped"> show skipped rows (${skippedRows})</label>`] : []),
    '<p id="podipc-filter-status" aria-live="polite"></p>',
    '</div>',
    `<details class="toc-list" id="podipc-toc" open><summary class="toc-title">Contents</summary>${tocHtml(toc)}</details>`,
    '</nav>',
    '<main>',
    ...html,
    '</main>',
    '</div>',
    `<script type="application/json" id="podipc-data">${jsonSafe({ charts, results })}</script>`,
    `<script>${scriptSafe(chartJsUmdSource)}</script>`,
    `<script>
(function () {
  'use strict';
  (${scriptSafe(tableScript.toString())})(document);
  var status = document.getElementById('podipc-chart-status');
  var data = JSON.parse(document.getElementById('podipc-data').textContent);
  if (typeof Chart === 'undefined') return;
  var kit = (${scriptSafe(chartKit.toString())})();
  Chart.register.apply(Chart, kit.plugins);
  var panels = 0, rendered = 0;
  data.charts.forEach(function (spec) {
    spec.panels.forEach(function (panel, i) {
      panels++;
      var canvas = document.getElementById('chart-' + spec.id + '-' + i);
      try {
        new Chart(canvas, kit.panelConfig(panel, spec.panelWidth, spec.panelHeight, true));
        canvas.setAttribute('data-rendered', 'true');
        rendered++;
      } catch (err) {
        console.error('chart ' + spec.id + ' panel ' + i + ': ' + err);
      }
    });
  });
  if (status) status.textContent = data.charts.length + ' charts (' + rendered + ' of ' + panels + ' panels rendered). Hover a point for its values; click a legend entry to hide or show its line.';
})();
</script>`,
    '</body></html>',
  ];
  return parts.join('\n') + '\n';
}
