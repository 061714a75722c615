/**
 * k8s/Dockerfile under Docker's own builder: a private dockerd (its own data and exec
 * roots and socket, no bridge, no iptables rules), the offline bases imported into it,
 * the probe image built with --network none and checked from the inside; then the daemon
 * is stopped by its pid and its directories removed, leaving no process and no mount.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildImage, DEFAULT_REQUEST, prepareEngine } from '../harness/image/build.js';
import { askEngine, findOnPath } from '../harness/placements/kind/prereq.js';
import { assertProbeImage } from './helpers/image.js';

const missing = ['dockerd', 'docker', 'mmdebstrap'].filter((t) => !findOnPath(t));
const skip =
  process.getuid?.() !== 0 ? 'needs root (a private dockerd)' : missing.length > 0 ? `needs ${missing.join(', ')} (scripts/setup.sh installs docker.io and mmdebstrap)` : false;

const root = mkdtempSync(join(tmpdir(), 'podipc-docker-'));
let daemon: ChildProcess | undefined;

async function stopDaemon(): Promise<void> {
  if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) return;
  const exited = once(daemon, 'exit');
  daemon.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
  if (!done) {
    daemon.kill('SIGKILL');
    await exited;
  }
}

after(async () => {
  await stopDaemon();
  rmSync(root, { recursive: true, force: true });
});

function processesUnder(dir: string): string[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .flatMap((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        return cmd.includes(dir) ? [`${pid}: ${cmd}`] : [];
      } catch {
        return [];
      }
    });
}

test('k8s/Dockerfile builds with docker (a private daemon, offline bases, --network none) into the same probe image', { skip, timeout: 30 * 60_000 }, async () => {
  const socket = join(root, 'docker.sock');
  const pidfile = join(root, 'docker.pid');
  const logFd = openSync(join(root, 'dockerd.log'), 'a');
  daemon = spawn(
    'dockerd',
    ['--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '--host', `unix://${socket}`, '--pidfile', pidfile, '--bridge=none', '--iptables=false', '--ip6tables=false'],
    { stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  let ready = false;
  for (let i = 0; i < 60 && !ready && daemon.exitCode === null; i++) {
    await sleep(500);
    ready = (await askEngine('docker', env, 2000)).ok;
  }
  assert.ok(ready, `dockerd did not come up: ${readFileSync(join(root, 'dockerd.log'), 'utf8').slice(-2000)}`);
  assert.equal(Number(readFileSync(pidfile, 'utf8')), daemon.pid, 'the daemon we stop is the one we started');

  const log: string[] = [];
  const tag = 'localhost/podipc-probe-test:docker';
  const result = await buildImage({ ...DEFAULT_REQUEST, engine: 'docker', tag }, { log: (l) => log.push(l), env });
  assert.ok(result.built);
  assert.equal(result.user, '1000:1000');
  assert.ok(log.some((l) => /build the probe image .*docker, --network none/.test(l)), log.join('\n'));
  assertProbeImage(await prepareEngine('docker', root, { log: () => {}, env }), tag);

  await stopDaemon();
  assert.deepEqual(processesUnder(root), [], 'no dockerd or containerd left');
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(root));
  assert.deepEqual(mounts, [], 'no mount left under the daemon roots');
});
