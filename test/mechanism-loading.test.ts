/**
 * A probe loads only the mechanism it runs, and the harness none (bench/registry.ts,
 * `loadedOnOpen`): importing every mechanism's module made each Node probe process start
 * about 40 ms later. The modules a process loaded are seen by a module-loader hook in a
 * child process (test/helpers/loaded-modules.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DIST = resolve(import.meta.dirname, '..');
const HELPER = join(DIST, 'test', 'helpers', 'loaded-modules.js');

async function loadedBy(entry: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, [HELPER, join(DIST, entry), ...args], { timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
}

/** Channel code: the mechanisms' modules (the wake-up variants' list is only a list). */
const channelCode = (paths: string[]): string[] => paths.filter((p) => p.startsWith('bench/mechanisms/') && p !== 'bench/mechanisms/shm-variants.js');

test('the registry and the harness commands load no mechanism code', async () => {
  for (const entry of ['bench/registry.js', 'harness/commands/index.js']) {
    const loaded = await loadedBy(entry);
    assert.ok(loaded.includes('bench/registry.js'), `${entry}: the hook saw the registry load (${loaded.length} modules)`);
    assert.deepEqual(channelCode(loaded), [], `${entry} loaded channel code`);
  }
});

test('opening a case loads that mechanism and no other', async () => {
  for (const [id, modules] of [
    ['uds', ['bench/mechanisms/uds.js']],
    ['file-tmpfs', ['bench/mechanisms/file-tmpfs.js', 'bench/mechanisms/file-handoff.js']],
    ['shm-posix', ['bench/mechanisms/shm-posix.js', 'bench/mechanisms/shm-common.js']],
  ] as const) {
    const loaded = await loadedBy('bench/registry.js', '--open', id);
    assert.deepEqual(channelCode(loaded).sort(), [...modules].sort(), `opening ${id}`);
  }
});
