/**
 * compare on a real quick run: against a copy with every latency doubled it exits 1 with
 * the regressions named (the quick profile has the runs to conclude); against a full run
 * (the committed example) it says "inconclusive" first; against a file with no case in
 * common it exits 2 with a message.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { CaseResult, ResultFile, RunResult } from '../core/results.js';
import { PROFILES } from '../harness/config.js';
import { PACKAGE_ROOT } from '../harness/paths.js';
import { runQuick } from './helpers/suite.js';

const CLI = resolve(import.meta.dirname, '../harness/cli.js');
const EXAMPLE = join(PACKAGE_ROOT, 'results', 'examples', 'results.json');
const dir = mkdtempSync(join(tmpdir(), 'podipc-compare-quick-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let quick: ResultFile;
const QUICK = join(dir, 'quick.json');

before(async () => {
  // The quick profile's runs and budgets, two mechanisms at one size: a real run, kept small.
  quick = await runQuick(['--placement', 'process', '--mechanisms', 'tcp,uds', '--sizes', '64', '--probes', 'latency']);
  writeFileSync(QUICK, JSON.stringify(quick));
});

function podipc(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The same file with every latency of every run (and case) doubled - or scaled by more
 * when this machine's runs of a case spread wider than 2x (a loaded host does that at quick
 * budgets): the slowed file must be slower than the base in every run, or no test could
 * call it a regression, and the point here is what compare says when it can.
 */
function doubled(r: ResultFile): { file: ResultFile; factor: number } {
  const p50s = r.cases.flatMap((c) => c.runs.map((x) => x.latencyNs?.p50 ?? NaN)).filter(Number.isFinite);
  const spread = Math.max(...r.cases.map((c) => {
    const v = c.runs.map((x) => x.latencyNs!.p50);
    return Math.max(...v) / Math.min(...v);
  }));
  assert.ok(p50s.length > 0);
  const factor = Math.max(2, Math.ceil(spread * 1.05 * 10) / 10);
  const twice = <T extends Record<string, number>>(l: T): T => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v * factor])) as T;
  const run = (x: RunResult): RunResult => {
    const { latencyHistogram: _dropped, ...rest } = x;
    return rest.latencyNs ? { ...rest, latencyNs: twice(rest.latencyNs) } : rest;
  };
  return {
    factor,
    file: {
      ...r,
      tool: { ...r.tool, gitCommit: 'd0ab1ed0000000000000000000000000000d0ab1' },
      cases: r.cases.map((c): CaseResult => ({ ...c, runs: c.runs.map(run), ...(c.latencyNs ? { latencyNs: twice(c.latencyNs) } : {}) })),
    },
  };
}

test('the quick run has the runs per case a comparison needs', () => {
  for (const c of quick.cases) {
    assert.equal(c.status, 'ok', c.reason);
    assert.equal(c.runs.filter((r) => r.status === 'ok').length, PROFILES.quick.runs);
  }
});

test('quick vs the same with every latency doubled: exit 1, the regressions named first', () => {
  const slow = join(dir, 'doubled.json');
  const { file, factor } = doubled(quick);
  writeFileSync(slow, JSON.stringify(file));
  const pct = `\\+${Math.round((factor - 1) * 100)} %`;
  const md = podipc(['compare', QUICK, slow]);
  assert.equal(md.code, 1, md.stderr);
  assert.match(md.stdout, new RegExp(`^### podipc compare: .*\\n\\n\\*\\*2 regressions\\*\\*: (tcp|uds) latency 64 B same-pod ${pct}, (tcp|uds) latency 64 B same-pod ${pct}\\.`));
  const text = podipc(['compare', QUICK, slow, '--format', 'text']);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /^2 regressions: /m);
  // 5 vs 5 runs, every head run above every base run: p = 2/252, q the same for both cases.
  const f = factor.toFixed(2).replace('.', '\\.');
  assert.match(text.stdout, new RegExp(`^ {2}tcp latency 64 B same-pod: ${f}x slower \\(\\d+\\.\\d\\d-\\d+\\.\\d\\d\\), q = 0\\.008$`, 'm'));
  assert.match(text.stdout, new RegExp(`^ {2}uds latency 64 B same-pod: ${f}x slower`, 'm'));
});

test('full (the committed example) vs quick: "inconclusive" first, naming the budgets, in md and text', () => {
  const md = podipc(['compare', EXAMPLE, QUICK]);
  assert.notEqual(md.code, 2, md.stderr);
  const lines = md.stdout.split('\n');
  assert.match(lines[2]!, /^\*\*Inconclusive\*\*: the two runs were measured differently \(quick false → true, .*measureMs 500 → \d+/);
  const text = podipc(['compare', EXAMPLE, QUICK, '--format', 'text']).stdout.split('\n');
  assert.match(text[1]!, /^Inconclusive: the two runs were measured differently \(quick false → true/);
  assert.match(text[2]!, /^warning: Config differs: quick false → true/);
});

test('two files with no case in common: exit 2, one line saying so', () => {
  const other = join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ ...quick, cases: quick.cases.map((c) => ({ ...c, messageBytes: 128 })) }));
  const r = podipc(['compare', QUICK, other]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^podipc compare: .*quick\.json and .*other\.json have no case in common \(2 vs 2 cases, e\.g\. 'tcp latency 64B same-pod' vs 'tcp latency 128B same-pod'\): compare two runs of the same mechanisms, sizes and probes\n$/);
});
