/**
 * The committed example (a full default run, schema 1, upgraded on read) re-renders with
 * `podipc report`, and report.md of a full default run is a page, not a log: under 250
 * lines, and still under 250 when both runtimes measured everything (the native numbers go
 * to their own section).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { DEFAULT_SIZES } from '../harness/config.js';
import { allSelections } from '../harness/selection.js';
import { renderMarkdown } from '../harness/report/markdown.js';

const example: ResultFile = parseResultFile(JSON.parse(readFileSync(new URL('../../results/examples/results.json', import.meta.url), 'utf8')), 'examples');
const lines = (md: string): number => md.split('\n').length;

test('the committed example is a full default run: every mechanism, size, probe and topology', () => {
  assert.deepEqual(example.config.sizesBytes, DEFAULT_SIZES);
  const labels = new Set(example.cases.map((c) => (c.variant ? `${c.mechanism}/${c.variant}` : c.mechanism)));
  for (const s of allSelections()) assert.ok(labels.has(s.variant ? `${s.mechanism}/${s.variant}` : s.mechanism), `${s.mechanism}/${s.variant}`);
});

test('its report.md is under 250 lines', () => {
  const n = lines(renderMarkdown(example));
  assert.ok(n < 250, `${n} lines`);
});

test('with the native runtime measured as well, still under 250 lines', () => {
  const both: ResultFile = { ...example, cases: [...example.cases, ...example.cases.map((c) => ({ ...c, runtime: 'native' as const }))] };
  const md = renderMarkdown(both);
  assert.match(md, /## Native floor vs Node/);
  const n = lines(md);
  assert.ok(n < 250, `${n} lines`);
});

test('podipc report re-renders the committed example (schema 1, upgraded on read)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podipc-example-test-'));
  try {
    copyFileSync(new URL('../../results/examples/results.json', import.meta.url), join(dir, 'results.json'));
    const r = spawnSync(process.execPath, [resolve(import.meta.dirname, '../harness/cli.js'), 'report', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'report.md'), 'utf8'), renderMarkdown(example));
    assert.match(readFileSync(join(dir, 'report.csv'), 'utf8'), /^mechanism,variant,runtime,placement,/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
