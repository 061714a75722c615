/**
 * compare's environment warnings come from typed fields (env.placements.<id>.resources and
 * the host facts): two runs that differ in pinning get the warning, first, in every format;
 * two runs that do not, get none.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { compareResults, environmentFacts } from '../harness/compare/engine.js';
import { formatCompareCsv } from '../harness/compare/format-csv.js';
import { formatCompareMarkdown } from '../harness/compare/format-md.js';
import { formatCompareText } from '../harness/compare/format-text.js';

const load = (name: string): ResultFile => parseResultFile(JSON.parse(readFileSync(new URL(`../../test/fixtures/good/${name}`, import.meta.url), 'utf8')), name);
const base = load('five-runs-base.json');
const head = load('five-runs-head.json');

/** head as it would be had its placement not pinned the containers. */
function unpinned(r: ResultFile): ResultFile {
  const copy = structuredClone(r);
  delete copy.env.placements.sandbox!.resources.pin;
  return copy;
}

test('the pinning fact is read from env.placements.<id>.resources.pin', () => {
  assert.deepEqual(base.env.placements.sandbox?.resources.pin, [0, 1]);
  assert.equal(environmentFacts(base).get('sandbox.pin'), 'CPUs 0,1');
  assert.equal(environmentFacts(unpinned(base)).get('sandbox.pin'), 'not pinned');
});

test('runs that differ in pinning: the warning names it, right after the headline, before any number', () => {
  const c = compareResults(base, unpinned(head));
  assert.deepEqual(c.envDifferences, [{ field: 'sandbox.pin', base: 'CPUs 0,1', head: 'not pinned' }]);
  assert.deepEqual(c.configDifferences, [], 'the config is the same: only the environment differs');

  const md = formatCompareMarkdown(c);
  const blocks = md.split('\n\n');
  assert.match(blocks[1]!, /^\*\*\d+ regressions?\*\*/, 'the headline');
  assert.equal(blocks[2], '> [!WARNING]\n> Environments differ, so part of any change may come from the machine, not the code: sandbox.pin `CPUs 0,1` → `not pinned`.');
  assert.ok(md.indexOf('sandbox.pin') < md.indexOf('compared cases'), 'the warning comes before the counts');

  const text = formatCompareText(c).split('\n');
  assert.equal(text[2], 'warning: Environments differ, so part of any change may come from the machine, not the code: sandbox.pin CPUs 0,1 → not pinned.');

  const csv = formatCompareCsv(c).split('\n');
  assert.match(csv[2]!, /^environment,sandbox\.pin,,,,,,,,,"?CPUs 0,1"?,not pinned,/);
});

test('runs that do not differ in pinning: no environment warning anywhere', () => {
  const c = compareResults(base, head);
  assert.deepEqual(c.envDifferences, []);
  assert.doesNotMatch(formatCompareMarkdown(c), /Environments differ/);
  assert.doesNotMatch(formatCompareText(c), /Environments differ/);
  assert.ok(!formatCompareCsv(c).split('\n').some((l) => l.startsWith('environment,')));
  const both = compareResults(unpinned(base), unpinned(head));
  assert.deepEqual(both.envDifferences, [], 'both unpinned: nothing differs either');
});
