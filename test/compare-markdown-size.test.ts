/**
 * The PR comment stays under 60,000 characters (GitHub refuses 65,536): the `~` cases are
 * folded into a <details> block, most changed first; cases measured on neither side are
 * one line; when even the folded table is too long its least-changed rows are cut and
 * counted (the CSV keeps every one).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseResultFile, type CaseResult, type ResultFile } from '../core/results.js';
import { compareResults } from '../harness/compare/engine.js';
import { formatCompareCsv } from '../harness/compare/format-csv.js';
import { formatCompareMarkdown, MAX_MARKDOWN_CHARS } from '../harness/compare/format-md.js';

const example: ResultFile = parseResultFile(JSON.parse(readFileSync(new URL('../../results/examples/results.json', import.meta.url), 'utf8')), 'examples');

/** A deterministic jitter of ±10 % on every run-level number: a re-run with no real change. */
function rerun(r: ResultFile, seed = 7): ResultFile {
  let x = seed;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 0.9 + (x / 2 ** 31) * 0.2;
  };
  const scale = <T extends Record<string, number>>(o: T | undefined): T | undefined => (o ? (Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v * next()])) as T) : undefined);
  return {
    ...r,
    cases: r.cases.map((c): CaseResult => ({
      ...c,
      runs: c.runs.map((run) => ({ ...run, ...(run.latencyNs ? { latencyNs: scale(run.latencyNs)! } : {}), ...(run.throughput ? { throughput: scale(run.throughput)! } : {}) })),
    })),
  };
}

test('a full run against its re-run: under the limit, ~ rows folded most changed first, skipped-on-both in one line', () => {
  const c = compareResults(example, rerun(example));
  const md = formatCompareMarkdown(c);
  assert.ok(md.length < MAX_MARKDOWN_CHARS, `${md.length} characters`);
  assert.equal(c.counts.unchanged, c.cases.length);
  const details = md.slice(md.indexOf('<details>'), md.indexOf('</details>'));
  assert.match(details, new RegExp(`^<details><summary>${c.cases.length} cases with no detectable change \\(~\\), most changed first</summary>`));
  const changes = [...details.matchAll(/^\| [^|]+ \| (?:p50 RTT|msgs\/s) \| [^|]+ \| [^|]+ \| ([-+]?[\d.]+) % \|/gm)].map((m) => Math.abs(Number(m[1])));
  assert.equal(changes.length, c.cases.length, 'every ~ case is in the fold');
  assert.deepEqual(changes, [...changes].sort((a, b) => b - a), 'most changed first');
  // 139 cases were skipped on both sides: one line, not 139.
  assert.equal(c.unmeasuredOnBoth.count, example.cases.filter((x) => x.status !== 'ok').length);
  assert.match(md, new RegExp(`^${c.unmeasuredOnBoth.count} cases were measured on neither side`, 'm'));
  assert.doesNotMatch(md, /cross-pod`: .*separate pods/, 'no skipped case is listed one by one');
});

test('too many cases for one comment: the least-changed ~ rows are cut and counted; the CSV keeps all', () => {
  // Five copies of every case at other sizes: about 900 compared cases.
  const big = (r: ResultFile): ResultFile => ({ ...r, cases: [1, 2, 3, 4, 5].flatMap((k) => r.cases.map((c) => ({ ...c, messageBytes: c.messageBytes * 3 ** k }))) });
  const c = compareResults(big(example), big(rerun(example)));
  assert.ok(c.cases.length > 800, `${c.cases.length} cases`);
  const md = formatCompareMarkdown(c);
  assert.ok(md.length <= MAX_MARKDOWN_CHARS, `${md.length} characters`);
  assert.ok(md.length > MAX_MARKDOWN_CHARS * 0.8, 'it cut more than it had to');
  const cut = /… and (\d+) less-changed cases, cut to keep this comment under 60,000 characters/.exec(md);
  assert.ok(cut, 'the cut is not said');
  const shown = (md.match(/^\| .* \| ~ \|$/gm) ?? []).length;
  assert.equal(shown + Number(cut[1]), c.cases.length);
  assert.equal(formatCompareCsv(c).split('\n').filter((l) => l.startsWith('case,')).length, c.cases.length);
});
