import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { buildChartSpecs } from '../harness/report/charts.js';
import { renderHtml } from '../harness/report/html.js';
import { loadChartJsUmd, writeReport } from '../harness/report/index.js';

const results: ResultFile = parseResultFile(
  JSON.parse(readFileSync(new URL('../../test/fixtures/good/base.json', import.meta.url), 'utf8')),
  'base.json',
);
const tmp = mkdtempSync(join(tmpdir(), 'podipc-report-html-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('report.html is one self-contained file: Chart.js and the data inline, nothing fetched', async () => {
  const html = renderHtml(results, await loadChartJsUmd());
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[\s>]/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  assert.equal((html.match(/<script[\s>]/g) ?? []).length, 3);
  assert.equal((html.match(/<\/script>/gi) ?? []).length, 3, 'no "</script" inside the inlined code');
  const specs = buildChartSpecs(results);
  for (const s of specs) assert.ok(html.includes(`<canvas id="chart-${s.id}"`), s.id);
  const json = /<script type="application\/json" id="podipc-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
  const data = JSON.parse(json ?? 'null') as { charts: unknown[]; results: ResultFile };
  assert.equal(data.charts.length, specs.length);
  assert.deepEqual(data.results, results);
  // The same tables as the Markdown report.
  assert.match(html, /<caption>Round-trip latency, same pod: p50 \/ p99 round trip<\/caption>/);
  assert.match(html, /<td>kernel<\/td><td>6\.18\.0-podipc #1 SMP PREEMPT_DYNAMIC<\/td>/);
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

// ---------------------------------------------------------------------------------------
// Headless Chromium over the DevTools protocol (ws is already a dependency)
// ---------------------------------------------------------------------------------------

function findChromium(): string | undefined {
  const candidates = [process.env.PODIPC_CHROMIUM, ...['chromium', 'chromium-browser', 'google-chrome'].flatMap((n) => (process.env.PATH ?? '').split(delimiter).map((d) => join(d, n)))];
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

interface Cdp {
  send(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  events: Array<{ method: string; params: Record<string, unknown> }>;
  waitFor(method: string, timeoutMs: number): Promise<void>;
  close(): void;
}

async function connect(url: string): Promise<Cdp> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  const events: Cdp['events'] = [];
  const waiters: Array<{ method: string; resolve: () => void }> = [];
  socket.on('message', (raw) => {
    const msg = JSON.parse(String(raw)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown> };
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message));
      else p?.resolve(msg.result ?? {});
    } else if (msg.method) {
      events.push({ method: msg.method, params: msg.params ?? {} });
      for (const w of waiters.filter((x) => x.method === msg.method)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  return {
    events,
    send(method, params = {}) {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    waitFor(method, timeoutMs) {
      if (events.some((e) => e.method === method)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${method} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ method, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    close: () => socket.close(),
  };
}

async function startChromium(binary: string, profileDir: string): Promise<{ child: ChildProcess; browserWs: string }> {
  const child = spawn(
    binary,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profileDir}`,
      '--remote-debugging-port=0',
      '--window-size=1280,1000',
      'about:blank',
    ],
    // Its own process group, so cleanup can end exactly the processes this test started.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const browserWs = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools address in 60 s:\n${stderr.slice(-2000)}`)), 60_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited with ${code}:\n${stderr.slice(-2000)}`));
    });
  });
  return { child, browserWs };
}

async function stopChromium(child: ChildProcess, browser: Cdp | undefined): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await browser?.send('Browser.close').catch(() => {});
  const timer = setTimeout(() => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, 10_000);
  await exited;
  clearTimeout(timer);
  // Chromium's helpers (zygote, renderer) leave shortly after the browser: wait for the group.
  const pgid = child.pid;
  if (!pgid) return;
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return; // ESRCH: the whole group is gone
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

test('report.html opens in headless Chromium without console errors and renders every chart', { timeout: 180_000 }, async (t) => {
  const binary = findChromium();
  if (!binary) {
    t.skip('chromium not found: install it (apt-get install -y chromium) or set PODIPC_CHROMIUM; the lead must add chromium to .ci/run');
    return;
  }
  const dir = join(tmp, 'browser');
  await writeReport(results, dir);
  const profile = mkdtempSync(join(tmpdir(), 'podipc-chromium-profile-'));
  const { child, browserWs } = await startChromium(binary, profile);
  let browser: Cdp | undefined;
  let page: Cdp | undefined;
  try {
    browser = await connect(browserWs);
    const port = new URL(browserWs).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ type: string; webSocketDebuggerUrl: string }>;
    const target = targets.find((x) => x.type === 'page');
    assert.ok(target, 'chromium opened no page');
    page = await connect(target.webSocketDebuggerUrl);
    await page.send('Runtime.enable');
    await page.send('Log.enable');
    await page.send('Network.enable');
    await page.send('Page.enable');
    page.events.length = 0;
    await page.send('Page.navigate', { url: pathToFileURL(join(dir, 'report.html')).href });
    await page.waitFor('Page.loadEventFired', 60_000);

    const evaluation = await page.send('Runtime.evaluate', {
      returnByValue: true,
      expression: `(() => {
        const canvases = [...document.querySelectorAll('canvas')].map((c) => {
          const ctx = c.getContext('2d');
          const img = ctx.getImageData(0, 0, c.width, c.height).data;
          let drawn = 0;
          for (let i = 0; i < img.length; i += 4) {
            const lum = 0.299 * img[i] + 0.587 * img[i + 1] + 0.114 * img[i + 2];
            if (img[i + 3] > 0 && lum < 240) drawn++;
          }
          return { id: c.id, rendered: c.getAttribute('data-rendered'), width: c.width, height: c.height, drawnShare: drawn / (c.width * c.height) };
        });
        return { status: document.getElementById('podipc-chart-status')?.textContent, canvases, chart: typeof Chart };
      })()`,
    });
    const value = (evaluation.result as { value: { status: string; canvases: Array<{ id: string; rendered: string | null; width: number; height: number; drawnShare: number }>; chart: string } }).value;

    const errors = page.events.filter(
      (e) =>
        e.method === 'Runtime.exceptionThrown' ||
        (e.method === 'Runtime.consoleAPICalled' && ['error', 'assert'].includes(String(e.params.type))) ||
        (e.method === 'Log.entryAdded' && (e.params.entry as { level?: string })?.level === 'error'),
    );
    assert.deepEqual(errors, [], 'console errors in report.html');
    const remote = page.events
      .filter((e) => e.method === 'Network.requestWillBeSent')
      .map((e) => (e.params.request as { url: string }).url)
      .filter((u) => !u.startsWith('file:') && !u.startsWith('data:'));
    assert.deepEqual(remote, [], 'report.html must not fetch anything');

    const specs = buildChartSpecs(results);
    assert.equal(value.chart, 'function', 'Chart.js loaded from the inline script');
    assert.equal(value.status, `${specs.length} of ${specs.length} charts rendered. Hover a point for its values; click a legend entry to hide a line.`);
    assert.deepEqual(value.canvases.map((c) => c.id), specs.map((s) => `chart-${s.id}`));
    for (const c of value.canvases) {
      assert.equal(c.rendered, 'true', c.id);
      assert.ok(c.width > 300 && c.height > 150, `${c.id}: ${c.width}×${c.height}`);
      assert.ok(c.drawnShare > 0.01, `${c.id}: only ${(c.drawnShare * 100).toFixed(2)} % of the canvas drawn`);
    }
  } finally {
    page?.close();
    await stopChromium(child, browser);
    browser?.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
