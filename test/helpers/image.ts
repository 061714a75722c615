/**
 * Checks every image test makes of a built probe image, with the engine that built it:
 * it runs as user 1000, carries Node 24 and every product binding.gyp builds, its native
 * modules load under that Node, and its labels name the podipc version and commit.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Engine } from '../../harness/image/engine.js';
import { toolInfo } from '../../harness/version.js';

const REPO = resolve(import.meta.dirname, '..', '..', '..');

/** What node-gyp puts in build/Release for each binding.gyp target: an addon or an executable. */
export function bindingProducts(): string[] {
  const gyp = JSON.parse(readFileSync(resolve(REPO, 'binding.gyp'), 'utf8')) as { targets: Array<{ target_name: string; type?: string }> };
  return gyp.targets.map((t) => (t.type === 'executable' ? t.target_name : `${t.target_name}.node`)).sort();
}

export function engineRun(engine: Engine, args: string[]): string {
  return execFileSync(engine.command[0]!, [...engine.command.slice(1), ...args], { env: engine.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The image ids an engine holds (every one, intermediate ones too). */
export function imageIds(engine: Engine): string[] {
  return engineRun(engine, ['images', '--all', '--quiet', '--no-trunc']).split('\n').map((l) => l.trim()).filter(Boolean).sort();
}

export function assertProbeImage(engine: Engine, tag: string): void {
  const inside = (script: string): string =>
    engineRun(engine, ['run', '--rm', '--network', 'none', '--entrypoint', 'sh', tag, '-c', script]).trim();

  assert.equal(inside('id -u'), '1000', 'the probe runs as user 1000, not root');
  assert.match(inside('node --version'), /^v24\./, 'Node 24 LTS');
  assert.deepEqual(inside('ls build/Release').split('\n').sort(), bindingProducts(), 'build/Release holds every product of binding.gyp, nothing else');
  assert.match(inside('command -v mkfifo'), /mkfifo$/, 'the fifo mechanism needs mkfifo');
  // The addons were compiled against this Node (shm-typed-array is a NAN module: ABI-specific).
  const loaded = inside(`node -e "require('/app/build/Release/podipc_native.node'); require('/app/node_modules/shm-typed-array'); console.log('loaded')"`);
  assert.equal(loaded, 'loaded');
  assert.equal(inside('test -w /app; echo $?'), '1', 'the probe cannot write its own files');

  const labels = JSON.parse(engineRun(engine, ['image', 'inspect', '--format', '{{json .Config.Labels}}', tag])) as Record<string, string>;
  const tool = toolInfo();
  assert.equal(labels['org.opencontainers.image.version'], tool.version);
  assert.equal(labels['dev.podipc.version'], tool.version);
  assert.equal(labels['org.opencontainers.image.revision'], tool.gitCommit);
  assert.equal(labels['dev.podipc.commit'], tool.gitCommit);
  assert.equal(labels['dev.podipc.made-by'], 'podipc');
  assert.equal(labels['dev.podipc.role'], 'probe');
}
