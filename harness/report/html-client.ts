/**
 * What report.html carries besides its content: the stylesheet and the table script
 * (sorting, the row filter, the skipped-rows toggle). `tableScript` is self-contained (no
 * imports, no module scope) because html.ts inlines its source text; it runs in the browser
 * only, and test/report-browser.test.ts drives it in headless Chromium.
 */

/**
 * Layout: a sticky table of contents beside the content at desktop widths, stacked below
 * 900 px. Nothing may push the page wider than the window: the content column can shrink
 * (minmax(0, 1fr)), long unbroken text (JSON, paths) may break anywhere, and short tokens
 * with a hyphen or slash (mechanism names) are wrapped in .nw so they never break.
 */
export const REPORT_CSS = `
*, *::before, *::after { box-sizing: border-box; }
.banner { border-left: 4px solid #d08c00; background: #fff7e0; padding: .5rem .8rem; margin: .8rem 0; }
.footnotes { color: #555; margin: .2rem 0 1rem; }
ul.notes { margin: .3rem 0 1.2rem; overflow-wrap: anywhere; }
details.detail { margin: .4rem 0; }
details.detail > summary { cursor: pointer; font-weight: 600; }
html { -webkit-text-size-adjust: 100%; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #222; margin: 0; background: #fff; }
.page { display: grid; grid-template-columns: 14.5rem minmax(0, 1fr); gap: 2rem; max-width: 1480px; margin: 0 auto; padding: 0 1.5rem; }
nav.toc { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow-y: auto; padding: 1.1rem 0 1rem; font-size: .86rem; }
nav.toc .toc-title { font-weight: 700; margin: 0 0 .3rem; cursor: pointer; }
nav.toc ol { list-style: none; margin: 0; padding: 0; }
nav.toc ol ol { padding-left: .8rem; margin: .1rem 0 .35rem; }
nav.toc li { margin: .12rem 0; }
nav.toc a { color: #1f5fa8; text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
nav.toc .sub a { color: #555; }
nav.toc ol.inline li { display: inline; margin: 0; white-space: nowrap; }
nav.toc ol.inline li + li::before { content: " · "; color: #aaa; white-space: normal; }
.controls { margin-bottom: 1rem; padding-bottom: .8rem; border-bottom: 1px solid #ddd; }
.controls label { display: block; font-weight: 600; margin-bottom: .25rem; }
.controls label.check { font-weight: 400; margin-top: .5rem; }
.controls input[type=search] { width: 100%; font: inherit; padding: .25rem .4rem; border: 1px solid #bbb; border-radius: 3px; }
#podipc-filter-status { color: #555; margin: .4rem 0 0; min-height: 1.2em; }
main { min-width: 0; padding: 1rem 0 3rem; }
h1 { font-size: 1.55rem; margin: .2rem 0 .4rem; }
h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .2rem; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: .4rem 0 1.2rem; font-variant-numeric: tabular-nums; font-size: .9rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #ddd; padding: .22rem .5rem; vertical-align: top; }
td { overflow-wrap: anywhere; }
th { background: #f4f6f8; text-align: left; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
th.num { text-align: right; }
.nw { white-space: nowrap; }
th button { all: unset; cursor: pointer; display: block; width: 100%; }
th button:focus-visible { outline: 2px solid #1f5fa8; outline-offset: 2px; }
th button::after { content: " \\2195"; color: #aaa; font-size: .8em; }
th[aria-sort=ascending] button::after { content: " \\25B2"; color: #1f5fa8; }
th[aria-sort=descending] button::after { content: " \\25BC"; color: #1f5fa8; }
tr.status-failed td { background: #fff4f4; }
tr.status-skipped td { color: #666; }
html.js tr.status-skipped { display: none; }
html.js.show-skipped tr.status-skipped { display: table-row; }
html.js tr.filtered-out, html.js.show-skipped tr.filtered-out { display: none; }
tr.placeholder td { color: #666; font-style: italic; background: #fafafa; }
.table-block.filtered-out { display: none; }
table.env td:first-child { font-weight: 600; white-space: nowrap; }
figure { margin: 1rem 0 2.2rem; }
figcaption { margin-bottom: .4rem; }
figcaption strong { display: block; font-size: 1.02rem; }
figcaption span { display: block; color: #555; font-size: .86rem; }
figcaption .warn { color: #b00020; font-weight: 600; }
.panels { display: grid; grid-template-columns: repeat(var(--cols, 1), minmax(0, 1fr)); gap: .4rem; }
.panel { position: relative; min-width: 0; }
#podipc-chart-status { color: #555; font-size: .9rem; }
@media (max-width: 900px) {
  .page { grid-template-columns: minmax(0, 1fr); gap: 0; }
  nav.toc { position: static; max-height: none; border-bottom: 1px solid #ddd; }
  .panels { grid-template-columns: minmax(0, 1fr); }
}
`;

/**
 * Sorting, filtering and the skipped-rows toggle for every `table.data`. Runs once on load.
 * Sort: a click on a header orders the rows by that column (numbers by their data-sort
 * value, which html.ts computed with the units understood; rows without a number last in
 * either direction), a second click reverses. Filter: every word typed must appear in the
 * row or its table's caption; a table with no matching row is hidden while filtering.
 */
export function tableScript(doc: Document): void {
  const root = doc.documentElement;
  root.classList.add('js');
  const tables = Array.from(doc.querySelectorAll<HTMLTableElement>('table.data'));
  const filter = doc.getElementById('podipc-filter') as HTMLInputElement | null;
  const toggle = doc.getElementById('podipc-show-skipped') as HTMLInputElement | null;
  const status = doc.getElementById('podipc-filter-status');

  const rowsOf = (t: HTMLTableElement): HTMLTableRowElement[] => Array.from(t.tBodies[0] ? t.tBodies[0].rows : []).filter((r) => !r.classList.contains('placeholder'));

  function sortBy(table: HTMLTableElement, th: HTMLTableCellElement): void {
    const col = th.cellIndex;
    const numeric = th.classList.contains('num');
    const ascending = th.getAttribute('aria-sort') !== 'ascending';
    for (const other of Array.from(table.tHead ? table.tHead.rows[0]!.cells : [])) other.setAttribute('aria-sort', 'none');
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    const body = table.tBodies[0]!;
    const keyed = rowsOf(table).map((row, i) => {
      const cell = row.cells[col];
      const raw = cell ? cell.getAttribute('data-sort') : null;
      const text = cell ? (cell.textContent || '').trim() : '';
      return { row, i, num: raw === null || raw === '' ? null : Number(raw), text };
    });
    const dir = ascending ? 1 : -1;
    keyed.sort((a, b) => {
      if (numeric) {
        if (a.num === null && b.num === null) return a.i - b.i;
        if (a.num === null) return 1;
        if (b.num === null) return -1;
        return (a.num - b.num) * dir || a.i - b.i;
      }
      if (!a.text && !b.text) return a.i - b.i;
      if (!a.text) return 1;
      if (!b.text) return -1;
      return a.text.localeCompare(b.text, 'en', { numeric: true }) * dir || a.i - b.i;
    });
    for (const k of keyed) body.appendChild(k.row);
    const placeholder = body.querySelector('tr.placeholder');
    if (placeholder) body.appendChild(placeholder);
  }

  function apply(): void {
    const words = (filter ? filter.value : '').toLowerCase().split(/\s+/).filter(Boolean);
    const showSkipped = !!(toggle && toggle.checked);
    root.classList.toggle('show-skipped', showSkipped);
    let shown = 0;
    let total = 0;
    let hiddenTables = 0;
    for (const table of tables) {
      const caption = table.caption ? (table.caption.textContent || '').toLowerCase() : '';
      let visible = 0;
      let skippedHidden = 0;
      const rows = rowsOf(table);
      for (const row of rows) {
        const text = caption + ' ' + (row.textContent || '').toLowerCase();
        const match = words.every((w) => text.indexOf(w) >= 0);
        row.classList.toggle('filtered-out', !match);
        const skipped = row.classList.contains('status-skipped');
        if (match && skipped && !showSkipped) skippedHidden++;
        if (match && (!skipped || showSkipped)) visible++;
      }
      total += rows.length;
      shown += visible;
      const block = table.closest('.table-block');
      const hideTable = words.length > 0 && visible === 0 && skippedHidden === 0;
      if (block) block.classList.toggle('filtered-out', hideTable);
      if (hideTable) hiddenTables++;
      const body = table.tBodies[0];
      let placeholder = body ? body.querySelector<HTMLTableRowElement>('tr.placeholder') : null;
      if (visible === 0 && body && rows.length) {
        if (!placeholder) {
          placeholder = doc.createElement('tr');
          placeholder.className = 'placeholder';
          const td = doc.createElement('td');
          td.colSpan = table.tHead ? table.tHead.rows[0]!.cells.length : 1;
          placeholder.appendChild(td);
          body.appendChild(placeholder);
        }
        placeholder.cells[0]!.textContent = skippedHidden
          ? skippedHidden + (skippedHidden === 1 ? ' skipped row' : ' skipped rows') + ' hidden: tick "show skipped rows" to see ' + (skippedHidden === 1 ? 'it' : 'them')
          : 'no row matches the filter';
      } else if (placeholder) placeholder.remove();
    }
    if (status) {
      status.textContent =
        'showing ' + shown + ' of ' + total + ' rows' + (hiddenTables ? '; ' + hiddenTables + (hiddenTables === 1 ? ' table' : ' tables') + ' without a match hidden' : '');
    }
  }

  for (const table of tables) {
    if (!table.tHead) continue;
    for (const th of Array.from(table.tHead.rows[0]!.cells)) {
      const button = th.querySelector('button');
      if (button) button.addEventListener('click', () => sortBy(table, th));
    }
  }
  // On a narrow screen the contents sit above the report: start them folded.
  const toc = doc.getElementById('podipc-toc') as HTMLDetailsElement | null;
  if (toc && doc.defaultView && doc.defaultView.innerWidth < 900) toc.open = false;
  if (filter) filter.addEventListener('input', apply);
  if (toggle) toggle.addEventListener('change', apply);
  apply();
}
