/**
 * report.html: one self-contained file (no network) with the report's tables and
 * interactive Chart.js charts, openable from a CI artifact. Chart.js's UMD build and the
 * data are inlined; the chart configuration code is the same function the PNG renderer uses
 * (charts.ts), inlined by its source text. Pure: the caller passes the Chart.js source.
 */
import type { ResultFile } from '../../core/results.js';
import { backgroundPlugin, buildChartSpecs, toChartConfig, whiskerPlugin } from './charts.js';
import { htmlEscape } from './format.js';
import { buildReportModel, type Table } from './tables.js';

/** Inline text with **bold** (the only Markdown the model uses) to HTML. */
function inline(text: string): string {
  return htmlEscape(text).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
}

function htmlTable(t: Table, caption: string): string {
  const th = t.header.map((h, i) => `<th${t.numeric[i] ? ' class="num"' : ''}>${htmlEscape(h)}</th>`).join('');
  const rows = t.rows
    .map((r) => `<tr>${r.map((cell, i) => `<td${t.numeric[i] ? ' class="num"' : ''}>${htmlEscape(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><caption>${htmlEscape(caption)}</caption><thead><tr>${th}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** Text safe inside <script>: no "</script" can close the element early. */
function scriptSafe(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

/** JSON safe inside <script type="application/json">: escape every "<". */
function jsonSafe(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function pluginSource(plugin: { id: string }, method: (...args: never[]) => unknown): string {
  // Method shorthand source ("afterDatasetsDraw(chart, ...) {...}") is valid in an object literal.
  return `{ id: ${JSON.stringify(plugin.id)}, ${method.toString()} }`;
}

const STYLE = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .6rem 0 1.4rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #ddd; padding: .25rem .55rem; vertical-align: top; }
th { background: #f4f6f8; text-align: left; } td.num, th.num { text-align: right; white-space: nowrap; }
table.env td:first-child { font-weight: 600; white-space: nowrap; }
figure { margin: 1rem 0 2rem; } .chart { position: relative; width: 100%; }
#podipc-chart-status { color: #555; font-size: .9rem; }
.problems li { margin-bottom: .3rem; }
`;

/** The HTML report. `chartJsUmdSource` is the text of chart.js/dist/chart.umd.js. */
export function renderHtml(results: ResultFile, chartJsUmdSource: string): string {
  const m = buildReportModel(results);
  const charts = buildChartSpecs(results);
  const parts: string[] = [];
  parts.push(
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${htmlEscape(m.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    `<h1>${htmlEscape(m.title)}</h1>`,
    ...m.summary.map((s) => `<p>${inline(s)}</p>`),
  );
  if (m.highlights.length) {
    parts.push('<p>Highlights (smallest message size measured):</p>', `<ul>${m.highlights.map((h) => `<li>${inline(h)}</li>`).join('')}</ul>`);
  }
  parts.push(
    '<h2 id="environment">Environment</h2>',
    `<table class="env"><tbody>${m.env.map(([k, v]) => `<tr><td>${htmlEscape(k)}</td><td>${htmlEscape(v)}</td></tr>`).join('')}</tbody></table>`,
  );
  if (charts.length) {
    parts.push('<h2 id="charts">Charts</h2>', '<p id="podipc-chart-status">Charts need JavaScript; the tables below have every number.</p>');
    for (const c of charts) {
      parts.push(
        `<figure><div class="chart"><canvas id="chart-${htmlEscape(c.id)}" role="img" aria-label="${htmlEscape(c.title)}"></canvas></div></figure>`,
      );
    }
  }
  for (const s of m.sections) {
    const anchor = s.heading.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    parts.push(`<h2 id="${anchor}">${htmlEscape(s.heading)}</h2>`, `<p>${inline(s.intro)}</p>`);
    for (const t of s.tables) parts.push(htmlTable(t, `${s.heading}: ${t.heading}`));
  }
  if (m.problems.length) {
    parts.push(
      '<h2 id="problems">Skipped and failed cases</h2>',
      `<ul class="problems">${m.problems.map((p) => `<li><strong>${htmlEscape(p.status)}</strong> ${htmlEscape(p.key)}: ${htmlEscape(p.reason)}</li>`).join('')}</ul>`,
    );
  }
  parts.push(
    `<script type="application/json" id="podipc-data">${jsonSafe({ charts, results })}</script>`,
    `<script>${scriptSafe(chartJsUmdSource)}</script>`,
    `<script>
(function () {
  'use strict';
  var status = document.getElementById('podipc-chart-status');
  var data = JSON.parse(document.getElementById('podipc-data').textContent);
  var toChartConfig = ${scriptSafe(toChartConfig.toString())};
  Chart.register(${scriptSafe(pluginSource(whiskerPlugin, whiskerPlugin.afterDatasetsDraw))}, ${scriptSafe(pluginSource(backgroundPlugin, backgroundPlugin.beforeDraw))});
  var rendered = 0;
  data.charts.forEach(function (spec) {
    var canvas = document.getElementById('chart-' + spec.id);
    new Chart(canvas, toChartConfig(spec, true));
    canvas.setAttribute('data-rendered', 'true');
    rendered++;
  });
  if (status) status.textContent = rendered + ' of ' + data.charts.length + ' charts rendered. Hover a point for its values; click a legend entry to hide a line.';
})();
</script>`,
    '</body></html>',
  );
  return parts.join('\n') + '\n';
}
