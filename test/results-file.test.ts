/**
 * results.json is validated on read: every good fixture parses, every bad one is rejected
 * with a message naming the file and what is wrong, and the committed example stays readable.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { readResultFile } from '../harness/results-file.js';
import { placementsOf, ResultFileError, SCHEMA_VERSION } from '../core/results.js';

const ROOT = resolve(import.meta.dirname, '../..');
const GOOD = join(ROOT, 'test/fixtures/good');
const BAD = join(ROOT, 'test/fixtures/bad');

const expected: Record<string, RegExp> = {
  'unknown-schema-version.json': new RegExp(`has schemaVersion 99, but this podipc reads schemaVersion 1 and ${SCHEMA_VERSION}`),
  'missing-fields.json': /is not a valid podipc results file \(schema 1\): .*(tool|env|cases)/,
  'not-json.json': /is not JSON/,
  'unknown-status.json': /cases\.0\.status/,
};

for (const name of readdirSync(GOOD).filter((n) => n.endsWith('.json'))) {
  test(`good fixture ${name} parses`, async () => {
    const results = await readResultFile(join(GOOD, name));
    assert.equal(results.schemaVersion, SCHEMA_VERSION);
    assert.ok(results.cases.length > 0);
  });
}

for (const name of readdirSync(BAD).filter((n) => n.endsWith('.json'))) {
  test(`bad fixture ${name} is rejected naming the file and the problem`, async () => {
    const pattern = expected[name];
    assert.ok(pattern, `no expectation for bad fixture ${name}: add one`);
    await assert.rejects(readResultFile(join(BAD, name)), (err: unknown) => {
      assert.ok(err instanceof ResultFileError);
      assert.ok(err.message.includes(name), `message does not name the file: ${err.message}`);
      assert.match(err.message, pattern);
      return true;
    });
  });
}

test('a missing file names the fix', async () => {
  await assert.rejects(readResultFile(join(BAD, 'nope.json')), /does not exist\. Pass a results\.json written by 'podipc run'/);
});

test('the committed example report data is a valid results file', async () => {
  const results = await readResultFile(join(ROOT, 'results/examples/results.json'));
  assert.deepEqual(placementsOf(results), ['sandbox']);
});
