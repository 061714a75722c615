/** Ctrl-C during a run: exit 130, every child and temp dir gone, no results half-written. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownedProbePids, stillRunning } from './helpers/probes.js';

const CLI = resolve(import.meta.dirname, '../harness/cli.js');

test('SIGINT mid-run: exit 130, probes killed, temp dirs and --out removed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podipc-int-test-'));
  const out = join(dir, 'out');
  const runDirsBefore = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('podipc-') && !n.includes('test')));
  try {
    const child = spawn(process.execPath, [CLI, 'run', '--placement', 'process', '--mechanisms', 'tcp', '--sizes', '64', '--budget-ms', '5000', '--runs', '3', '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const probeProcesses = (): number[] => ownedProbePids(child.pid!);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    for (let i = 0; i < 200 && probeProcesses().length < 2; i++) await sleep(50);
    assert.ok(probeProcesses().length >= 2, 'the probes never started');
    await sleep(300);
    const probes = probeProcesses();
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted before any case finished; everything the run created was removed/);
    assert.deepEqual(stillRunning(probes), [], 'probe processes survived the Ctrl-C');
    assert.equal(existsSync(out), false);
    const leftover = readdirSync(tmpdir()).filter((n) => n.startsWith('podipc-') && !n.includes('test') && !runDirsBefore.has(n));
    assert.deepEqual(leftover, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
