import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { buildChartSpecs } from '../harness/report/charts.js';
import { renderHtml, sortValue } from '../harness/report/html.js';
import { loadChartJsUmd } from '../harness/report/index.js';

const results: ResultFile = parseResultFile(
  JSON.parse(readFileSync(new URL('../../test/fixtures/good/base.json', import.meta.url), 'utf8')),
  'base.json',
);

test('report.html is one self-contained file: Chart.js and the data inline, nothing fetched', async () => {
  const html = renderHtml(results, await loadChartJsUmd());
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[\s>]/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  assert.equal((html.match(/<script[\s>]/g) ?? []).length, 3);
  assert.equal((html.match(/<\/script>/gi) ?? []).length, 3, 'no "</script" inside the inlined code');
  const specs = buildChartSpecs(results);
  for (const s of specs) for (const [i] of s.panels.entries()) assert.ok(html.includes(`<canvas id="chart-${s.id}-${i}"`), `${s.id} panel ${i}`);
  const json = /<script type="application\/json" id="podipc-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
  const data = JSON.parse(json ?? 'null') as { charts: unknown[]; results: ResultFile };
  assert.equal(data.charts.length, specs.length);
  assert.deepEqual(data.results, results);
  // The same tables as the Markdown report.
  assert.match(html, /<caption>Round-trip latency, same pod: p50 \/ p99 round trip<\/caption>/);
  assert.match(html, /<td>kernel<\/td><td>6\.18\.0-podipc #1 SMP PREEMPT_DYNAMIC<\/td>/);
  // A table of contents linking every section and table.
  const toc = /<nav class="toc"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  for (const id of [...html.matchAll(/<(?:h2|div class="table-block") id="([^"]+)"/g)].map((m) => m[1])) assert.ok(toc.includes(`href="#${id}"`), `toc links #${id}`);
});

test('text from results.json is escaped', () => {
  const odd: ResultFile = {
    ...results,
    cases: [{ mechanism: 'fifo', runtime: 'node', placement: 'sandbox', probe: 'latency', messageBytes: 64, topology: 'same-pod', status: 'failed', reason: '<img src=x onerror=alert(1)></script>', runs: [] }],
  };
  const html = renderHtml(odd, '');
  assert.ok(!html.includes('<img src=x'));
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;'));
});

test('table cells sort by their value with the unit understood', () => {
  assert.equal(sortValue('950 ns'), 950e-9);
  assert.equal(sortValue('1.2 µs'), 1.2e-6);
  assert.equal(sortValue('3 ms'), 3e-3);
  assert.ok(sortValue('950 ns')! < sortValue('1.2 µs')! && sortValue('1.2 µs')! < sortValue('20 µs')! && sortValue('20 µs')! < sortValue('1.5 ms')!);
  assert.equal(sortValue('190 k msg/s'), 190e3);
  assert.equal(sortValue('1.1 GB/s'), 1.1e9);
  assert.equal(sortValue('13.3 MB/s'), 13.3e6);
  assert.equal(sortValue('64 B'), 64);
  assert.equal(sortValue('1 KiB'), 1024);
  assert.equal(sortValue('1 MiB'), 1048576);
  assert.equal(sortValue('2/3'), 2 / 3);
  assert.equal(sortValue('+30.1 %'), 30.1);
  assert.ok(Math.abs(sortValue('1,234 ns')! - 1234e-9) < 1e-18);
  assert.equal(sortValue('—'), undefined);
  assert.equal(sortValue(''), undefined);
});

test('rows are marked with their status, short names never break, and every chart has its figure', () => {
  const html = renderHtml(results, '');
  const rows = [...html.matchAll(/<tr class="status-(\w+)">(.*?)<\/tr>/g)].map((m) => ({ status: m[1], cells: [...m[2]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]!) }));
  const skipped = rows.filter((r) => r.status === 'skipped');
  // Hidden rows are those with nothing measured: a mechanism measured at some sizes stays visible.
  for (const r of skipped) assert.ok(r.cells.slice(2).every((c) => c === "" || c === "—" || /^skipped/.test(c)), `a hidden row holds a number: ${r.cells.join(' | ')}`);
  assert.ok(rows.some((r) => r.status === 'ok' && r.cells.some((c) => /skipped/.test(c))), 'a row with ok and skipped sizes stays visible');
  assert.ok(rows.some((r) => r.status === 'failed'));
  // The toggle is there when something is hidden, and says how much (never a regex over the whole page in a failure message).
  assert.equal(html.includes(`show skipped rows (${skipped.length})`), skipped.length > 0);
  assert.match(html, /<td class="nw"><span class="nw">shm-posix\/futex<\/span><\/td>/);
  for (const s of buildChartSpecs(results)) assert.ok(html.includes(`data-chart="${s.id}"`), s.id);
});
