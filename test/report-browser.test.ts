/**
 * report.html in a real browser: playwright-core driving Debian's chromium (no browser
 * download). Loads the report at 1280 x 800, checks that nothing overflows sideways and
 * mechanism names stay whole, that skipped rows start hidden and the toggle shows them,
 * that a click on a header sorts numerically with the units understood, that the filter
 * hides rows, and that every chart panel rendered without an error or a network request.
 * When chromium cannot start here, the test skips and says why.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { buildChartSpecs } from '../harness/report/charts.js';
import { writeReport } from '../harness/report/index.js';

const base: ResultFile = parseResultFile(JSON.parse(readFileSync(new URL('../../test/fixtures/good/base.json', import.meta.url), 'utf8')), 'base.json');

/**
 * The fixture, with p99.9 values in the 64 B same-pod latency table chosen so that a sort
 * by text, or by the number without its unit, gives a different order than by duration;
 * a long unbroken environment value and a failure reason that could push the page wider.
 */
const P999_NS: Record<string, number> = { 'shm-posix/spin': 950, 'shm-posix/futex': 1_200_000, 'mq-posix': 20_000, uds: 3_000, tcp: 450_000, udp: 7_000 };
const EXPECTED_ASCENDING = ['shm-posix/spin', 'uds', 'udp', 'mq-posix', 'tcp', 'shm-posix/futex'];
const results: ResultFile = {
  ...base,
  env: {
    ...base.env,
    placements: Object.fromEntries(
      Object.entries(base.env.placements).map(([id, f]) => [id, { ...f, details: { ...(f.details ?? {}), pods: { server: 'x'.repeat(300), client: { image: 'podipc-probe:'.padEnd(260, 'y') } } } }]),
    ),
  },
  cases: base.cases.map((c) => {
    const label = c.variant ? `${c.mechanism}/${c.variant}` : c.mechanism;
    if (c.probe === 'latency' && c.topology === 'same-pod' && c.messageBytes === 64 && c.latencyNs && P999_NS[label] !== undefined) {
      return { ...c, latencyNs: { ...c.latencyNs, p999: P999_NS[label]! } };
    }
    if (c.status === 'failed') return { ...c, reason: `${c.reason ?? 'failed'}: /${'deeply/nested/'.repeat(30)}core` };
    return c;
  }),
};

const tmp = mkdtempSync(join(tmpdir(), 'podipc-report-browser-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function findChromium(): string | undefined {
  const candidates = [process.env.PODIPC_CHROMIUM, '/usr/bin/chromium', ...['chromium', 'chromium-browser'].flatMap((n) => (process.env.PATH ?? '').split(delimiter).map((d) => join(d, n)))];
  for (const c of candidates) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** A duration cell to nanoseconds, written here independently of the report's own parser. */
function durationNs(cell: string): number {
  // A marker after the number (†: too few samples behind it) is not part of the duration.
  const m = /^([\d.]+) (ns|µs|ms|s)(?: [†✗‼])?$/.exec(cell.trim());
  assert.ok(m, `not a duration: "${cell}"`);
  return Number(m[1]) * { ns: 1, µs: 1e3, ms: 1e6, s: 1e9 }[m[2] as 'ns' | 'µs' | 'ms' | 's'];
}

interface TableView {
  caption: string;
  header: string[];
  rows: Array<{ cells: string[]; visible: boolean; status: string }>;
  blockVisible: boolean;
}

async function tables(page: Page): Promise<TableView[]> {
  return page.$$eval('table.data', (els) =>
    (els as HTMLTableElement[]).map((t) => ({
      caption: t.caption?.textContent ?? '',
      header: [...t.tHead!.rows[0]!.cells].map((c) => (c.textContent ?? '').trim()),
      rows: [...t.tBodies[0]!.rows]
        .filter((r) => !r.classList.contains('placeholder'))
        .map((r) => ({ cells: [...r.cells].map((c) => (c.textContent ?? '').trim()), visible: r.getClientRects().length > 0, status: r.className })),
      blockVisible: (t.closest('.table-block') as HTMLElement).getClientRects().length > 0,
    })),
  );
}

test('report.html in headless Chromium: fits 1280 px, hides skipped rows, sorts with units, filters, renders every chart', { timeout: 240_000 }, async (t) => {
  const binary = findChromium();
  if (!binary) {
    t.skip('chromium not found: install it (apt-get install -y chromium; scripts/setup.sh does) or set PODIPC_CHROMIUM');
    return;
  }
  const dir = join(tmp, 'report');
  await writeReport(results, dir);
  const profile = mkdtempSync(join(tmpdir(), 'podipc-chromium-profile-'));
  let context: BrowserContext | undefined;
  try {
    try {
      context = await chromium.launchPersistentContext(profile, {
        executablePath: binary,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        viewport: { width: 1280, height: 800 },
        timeout: 90_000,
      });
    } catch (err) {
      t.skip(`chromium (${binary}) could not start: ${String((err as Error).message).split('\n')[0]}`);
      return;
    }
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    const remote: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'assert') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) remote.push(r.url());
    });
    await page.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });

    // Every chart panel rendered, drew something, and nothing failed or went to the network.
    const specs = buildChartSpecs(results);
    const canvases = await page.$$eval('canvas', (els) =>
      (els as HTMLCanvasElement[]).map((c) => {
        const img = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let drawn = 0;
        for (let i = 0; i < img.length; i += 4) if (img[i + 3]! > 0 && 0.299 * img[i]! + 0.587 * img[i + 1]! + 0.114 * img[i + 2]! < 235) drawn++;
        return { id: c.id, rendered: c.getAttribute('data-rendered'), share: drawn / (c.width * c.height) };
      }),
    );
    assert.deepEqual(
      canvases.map((c) => c.id),
      specs.flatMap((s) => s.panels.map((_, i) => `chart-${s.id}-${i}`)),
    );
    for (const c of canvases) {
      assert.equal(c.rendered, 'true', c.id);
      assert.ok(c.share > 0.005, `${c.id}: only ${(c.share * 100).toFixed(2)} % of the canvas drawn`);
    }
    assert.deepEqual(errors, [], 'console errors in report.html');
    assert.deepEqual(remote, [], 'report.html must not fetch anything');

    // No sideways overflow at 1280 px: not the page, and no table scrolls inside its box.
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
      wraps: [...document.querySelectorAll('.table-wrap')].map((w) => ({ scroll: w.scrollWidth, client: w.clientWidth, what: w.querySelector('caption')?.textContent ?? w.textContent!.slice(0, 40) })),
    }));
    assert.equal(widths.viewport, 1280);
    assert.ok(widths.page <= widths.viewport, `page is ${widths.page} px wide in a ${widths.viewport} px window`);
    for (const w of widths.wraps) assert.ok(w.scroll <= w.client + 1, `table "${w.what}" needs ${w.scroll} px, has ${w.client}`);

    // Mechanism names never wrap: each mechanism cell's text is one line box.
    const wrapped = await page.$$eval('table.data', (els) =>
      (els as HTMLTableElement[]).flatMap((t) => {
        const col = [...t.tHead!.rows[0]!.cells].findIndex((c) => (c.textContent ?? '').trim() === 'mechanism');
        if (col < 0) return [];
        return [...t.tBodies[0]!.rows]
          .filter((r) => r.getClientRects().length > 0 && r.cells[col])
          .filter((r) => {
            const range = document.createRange();
            range.selectNodeContents(r.cells[col]!);
            return new Set([...range.getClientRects()].map((x) => Math.round(x.top))).size > 1;
          })
          .map((r) => r.cells[col]!.textContent);
      }),
    );
    assert.deepEqual(wrapped, [], 'mechanism names wrapped onto two lines');

    // Skipped rows: present (the per-size detail tables list every case), hidden by default,
    // shown by the toggle. The detail tables sit in closed <details>: open them first.
    await page.$$eval('details.detail', (els) => els.forEach((d) => ((d as HTMLDetailsElement).open = true)));
    let views = await tables(page);
    const skipped = views.flatMap((v) => v.rows.filter((r) => r.status.includes('status-skipped')));
    assert.ok(skipped.length > 0, 'the fixture has skipped rows');
    assert.ok(skipped.every((r) => !r.visible), 'skipped rows are hidden by default');
    assert.ok(views.flatMap((v) => v.rows.filter((r) => r.status.includes('status-ok'))).every((r) => r.visible), 'ok rows are shown');
    await page.check('#podipc-show-skipped');
    views = await tables(page);
    assert.ok(views.flatMap((v) => v.rows.filter((r) => r.status.includes('status-skipped'))).every((r) => r.visible), 'the toggle shows skipped rows');
    await page.uncheck('#podipc-show-skipped');

    // Sort: a click on "p99.9 RTT" orders the rows by duration, a second click reverses.
    const caption = 'Round-trip latency, same pod: every number: 64 B';
    const target = (): Promise<TableView> => tables(page).then((all) => all.find((v) => v.caption === caption)!);
    const before = await target();
    assert.ok(before, `no table "${caption}"`);
    const mech = before.header.indexOf('mechanism');
    const p999 = before.header.indexOf('p99.9 RTT');
    assert.notDeepEqual(
      before.rows.map((r) => r.cells[mech]),
      EXPECTED_ASCENDING,
      'the table does not start in the order the sort must produce',
    );
    const header = page.locator('table.data', { has: page.locator('caption', { hasText: caption }) }).locator('th', { hasText: 'p99.9 RTT' });
    await header.locator('button').click();
    let after1 = await target();
    assert.deepEqual(
      after1.rows.map((r) => r.cells[mech]),
      EXPECTED_ASCENDING,
      `sorted by p99.9: ${after1.rows.map((r) => `${r.cells[mech]} ${r.cells[p999]}`).join(', ')}`,
    );
    const ns = after1.rows.map((r) => durationNs(r.cells[p999]!));
    assert.deepEqual(ns, [...ns].sort((a, b) => a - b));
    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    await header.locator('button').click();
    after1 = await target();
    assert.deepEqual(
      after1.rows.map((r) => r.cells[mech]),
      [...EXPECTED_ASCENDING].reverse(),
    );
    assert.equal(await header.getAttribute('aria-sort'), 'descending');

    // Filter: only rows naming uds (in the row or the table's caption) stay; tables without one go.
    await page.fill('#podipc-filter', 'uds');
    views = await tables(page);
    const shown = views.flatMap((v) => v.rows.filter((r) => r.visible).map((r) => ({ v, r })));
    assert.ok(shown.length > 0, 'some rows match "uds"');
    for (const { v, r } of shown) assert.match(`${v.caption} ${r.cells.join(' ')}`.toLowerCase(), /uds/);
    const hiddenOk = views.flatMap((v) => v.rows.filter((r) => !r.visible && r.status.includes('status-ok')));
    assert.ok(hiddenOk.length > 0, 'the filter hid rows');
    assert.ok(hiddenOk.every((r) => !r.cells.join(' ').toLowerCase().includes('uds')));
    assert.ok(views.some((v) => !v.blockVisible), 'a table with no match is hidden');
    assert.match((await page.textContent('#podipc-filter-status')) ?? '', /^showing \d+ of \d+ rows/);
    // Two words: both must match, in the row or its table's caption.
    await page.fill('#podipc-filter', 'tcp 1 MiB');
    views = await tables(page);
    const both = views.flatMap((v) => v.rows.filter((r) => r.visible).map((r) => `${v.caption} | ${r.cells.join(' ')}`));
    assert.ok(both.length >= 2, both.join('\n'));
    for (const line of both) {
      assert.match(line, /\btcp\b/);
      assert.match(line, /1 MiB/);
    }
    assert.ok(both.some((line) => /1 MiB \|.*\btcp\b/.test(line)), 'the size can come from the caption alone');
    await page.fill('#podipc-filter', '');
    views = await tables(page);
    assert.ok(views.every((v) => v.blockVisible));
    assert.ok(views.flatMap((v) => v.rows.filter((r) => !r.status.includes('status-skipped'))).every((r) => r.visible), 'clearing the filter shows every row again');
  } finally {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
