import { capture } from './helpers/cli.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareCommand } from '../harness/commands/compare.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
const BASE = fixture('good/base.json');
const RERUN = fixture('good/base-rerun.json');
const FIVE_BASE = fixture('good/five-runs-base.json');
const FIVE_HEAD = fixture('good/five-runs-head.json');

const tmp = mkdtempSync(join(tmpdir(), 'podipc-compare-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const run = (...argv: string[]): ReturnType<typeof capture> => capture(compareCommand, ...argv);

test('A/A comparison of 3 vs 3 runs exits 0, says inconclusive first, and prints the noise floor', async () => {
  const r = await run(BASE, RERUN);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.match(r.out, /^### podipc compare: `3f2a9c1` → `3f2a9c1`.*\n\n\*\*Inconclusive\*\*: too few runs/);
  assert.match(r.out, /A\/A comparison/);
  assert.match(r.out, /Noise floor:/);
  assert.match(r.out, /<details><summary>\d+ cases with no detectable change \(~\), most changed first<\/summary>\n\n\| case \| metric \| base \| head \| change \|/);
});

test('a significant regression exits 1 and is listed under "Significant changes"', async () => {
  const r = await run(FIVE_BASE, FIVE_HEAD);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /\n\n\*\*2 regressions\*\*: tcp (latency 64 B|throughput 1 KiB) same-pod \+\d+(\.\d)? %, tcp (latency 64 B|throughput 1 KiB) same-pod/);
  assert.match(r.out, /#### Significant changes/);
  assert.match(r.out, /\| tcp latency 64 B same-pod \| p50 RTT \|.*❌ slower \|/);
});

test('a threshold above the change turns the regression into ~ and exits 0', async () => {
  const r = await run(FIVE_BASE, FIVE_HEAD, '--threshold', '50');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\*\*No regressions\*\*/);
});

test('--format json is the comparison as data; --format text is for terminals', async () => {
  const j = await run(FIVE_BASE, FIVE_HEAD, '--format', 'json');
  assert.equal(j.code, 1);
  const data = JSON.parse(j.out) as { counts: { slower: number; faster: number }; cases: Array<{ key: string; verdict: string }> };
  assert.deepEqual(data.counts.slower, 2);
  assert.equal(data.cases.find((c) => c.key === 'uds latency 1024B same-pod')?.verdict, 'faster');
  const t = await run(FIVE_BASE, FIVE_HEAD, '--format', 'text');
  assert.equal(t.code, 1);
  assert.match(t.out, /^podipc compare .*\n2 regressions: /);
  // hyperfine's form: factor, its interval, the q-value.
  assert.match(t.out, /^ {2}tcp latency 64 B same-pod: \d+\.\d\dx slower \(\d+\.\d\d-\d+\.\d\d\), q = \d\.\d{3}$/m);
  assert.match(t.out, /^ {2}uds latency 1 KiB same-pod: \d+\.\d\dx faster /m);
  assert.doesNotMatch(t.out, /^\|/m, 'no Markdown table in the text form');
  const csv = await run(FIVE_BASE, FIVE_HEAD, '--format', 'csv');
  assert.equal(csv.code, 1);
  const lines = csv.out.trim().split('\n');
  assert.match(lines[0]!, /^row,key,mechanism,variant,runtime,placement,probe,messageBytes,topology,metric,base,head,changePct/);
  assert.match(lines[1]!, /^conclusion,regressions,/);
  assert.ok(lines.some((l) => /^case,tcp latency 64B same-pod,tcp,,node,sandbox,latency,64,same-pod,p50,/.test(l)), csv.out);
});

test('bad input exits 2 with a message naming the file (and both schema versions)', async () => {
  const missing = await run(join(tmp, 'nope.json'), BASE);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nope\.json does not exist/);

  const version = await run(BASE, fixture('bad/unknown-schema-version.json'));
  assert.equal(version.code, 2);
  assert.match(version.err, /unknown-schema-version\.json has schemaVersion 99, but this podipc reads schemaVersion 1 and 2/);

  const notJson = await run(fixture('bad/not-json.json'), BASE);
  assert.equal(notJson.code, 2);
  assert.match(notJson.err, /not-json\.json is not JSON/);

  const fields = await run(BASE, fixture('bad/missing-fields.json'));
  assert.equal(fields.code, 2);
  assert.match(fields.err, /missing-fields\.json is not a valid podipc results file \(schema 1\): env: Required; cases\.0\.messageBytes: Required/);
  assert.equal(fields.out, '');
});

test('bad usage exits 2 and says how to fix it', async () => {
  const one = await run(BASE);
  assert.equal(one.code, 2);
  assert.match(one.err, /expected two results files/);
  const threshold = await run(BASE, RERUN, '--threshold', 'five');
  assert.equal(threshold.code, 2);
  assert.match(threshold.err, /--threshold: 'five' is not a number >= 0 \(percent\), e\.g\. --threshold 5/);
  const negative = await run(BASE, RERUN, '--threshold', '-5');
  assert.match(negative.err, /--threshold: '-5' is not a number >= 0/);
  const alpha = await run(BASE, RERUN, '--alpha', '1.5');
  assert.equal(alpha.code, 2);
  assert.match(alpha.err, /--alpha: '1\.5' must be between 0 and 1/);
  const format = await run(BASE, RERUN, '--format', 'xml');
  assert.equal(format.code, 2);
  assert.match(format.err, /--format: 'xml' is not one of md, text, json, csv/);
  const unknown = await run(BASE, RERUN, '--treshold', '5');
  assert.equal(unknown.code, 2);
  assert.equal(unknown.err, "podipc compare: unknown flag '--treshold' (did you mean --threshold?); 'podipc compare --help' lists the flags\n");
});

test('different environments warn naming the fields; cases only on one side are listed, not dropped', async () => {
  const head = JSON.parse(readFileSync(RERUN, 'utf8')) as {
    env: Record<string, unknown>;
    tool: { gitCommit: string };
    cases: Array<{ mechanism: string; messageBytes: number; probe: string }>;
  };
  head.env.kernel = '6.1.0-28-amd64';
  head.env.placement = 'process';
  head.tool.gitCommit = '9999999999999999999999999999999999999999';
  // Drop one case and rename another: one case only in base, one only in head.
  const dropped = head.cases.findIndex((c) => c.mechanism === 'tcp' && c.messageBytes === 64 && c.probe === 'latency');
  head.cases.splice(dropped, 1);
  const renamed = head.cases.find((c) => c.mechanism === 'uds');
  assert.ok(renamed);
  renamed.mechanism = 'uds-seqpacket';
  const path = join(tmp, 'other-env.json');
  writeFileSync(path, JSON.stringify(head));

  const r = await run(BASE, path);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\[!WARNING\]\n> Environments differ.*kernel `6\.18\.0-podipc #1 SMP PREEMPT_DYNAMIC` → `6\.1\.0-28-amd64`, placements `sandbox` → `process`/);
  assert.doesNotMatch(r.out, /A\/A comparison/);
  assert.match(r.out, /Only in base \(2\):.*`tcp latency 64B same-pod`/);
  assert.match(r.out, /Only in head \(1\): `uds-seqpacket latency 64B same-pod`/);
});
