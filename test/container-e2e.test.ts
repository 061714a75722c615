/**
 * Real containers, end to end, as root: the probe image built without a registry
 * (`podipc image build`: offline bases, k8s/Dockerfile, --network none) and checked from
 * the inside; the podman placement over the mechanisms that matter (real pods from the
 * kind manifests, same pod and across pods, integrity checked); Ctrl-C in the middle of a
 * pair; the same Dockerfile under Docker's own builder (a private dockerd, stopped by its
 * pid). The subtests share one image, built once. Afterwards podman holds exactly the
 * pods, containers, volumes, networks and images it held before.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildImage, DEFAULT_REQUEST, prepareEngine, type ImageBuildResult } from '../harness/image/build.js';
import type { Engine } from '../harness/image/engine.js';
import { baseTag } from '../harness/image/offline-base.js';
import { askEngine, findOnPath } from '../harness/placements/kind/prereq.js';
import { podmanPlacement } from '../harness/placements/podman.js';
import { assertProbeImage, engineRun, imageIds } from './helpers/image.js';
import { assertCaseSane, runQuick } from './helpers/suite.js';

const availability = await podmanPlacement.check();
const missing = ['mmdebstrap'].filter((t) => !findOnPath(t));
const skip = !availability.ok ? `the podman placement cannot run here: ${availability.reason}` : missing.length > 0 ? `needs ${missing.join(', ')} (scripts/setup.sh installs it)` : false;
const dockerSkip = skip || (['dockerd', 'docker'].some((t) => !findOnPath(t)) ? 'needs dockerd and docker (scripts/setup.sh installs docker.io)' : false);
const CLI = resolve(import.meta.dirname, '../harness/cli.js');

const work = mkdtempSync(join(tmpdir(), 'podipc-container-e2e-'));
const TAG = `localhost/podipc-probe-test:${randomBytes(4).toString('hex')}`;
let engine: Engine | undefined;
let built: ImageBuildResult | undefined;

/** What podman holds, by kind; the test leaves each as it found it. */
function podmanState(e: Engine): Record<string, string[]> {
  const list = (...args: string[]): string[] => engineRun(e, args).split('\n').map((l) => l.trim()).filter(Boolean).sort();
  return {
    containers: list('ps', '--all', '--format', '{{.ID}} {{.Names}}'),
    pods: list('pod', 'ps', '--format', '{{.ID}} {{.Name}}'),
    volumes: list('volume', 'ls', '--format', '{{.Name}}'),
    networks: list('network', 'ls', '--format', '{{.Name}}'),
  };
}

const before: { state?: Record<string, string[]>; images?: string[] } = {};

after(async () => {
  if (engine) {
    // Images this test made: the probe image, and the bases if they did not exist before.
    const made = [TAG, ...(built?.madeBases ?? [])];
    try {
      engineRun(engine, ['rmi', '--force', ...made]);
    } catch {
      /* some were never made */
    }
  }
  // The private dockerd bind-mounts its data root under `work`: stop it and undo any mount it
  // left (a daemon that died mid-test does) before removing the directory, or both stay.
  await stopDaemon();
  for (const mountPoint of mountsUnder(work).reverse()) {
    try {
      execFileSync('umount', ['--lazy', mountPoint], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

/** Mount points at or below `dir`, outermost first (/proc/self/mountinfo's fifth field). */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`))
    .sort((a, b) => a.length - b.length);
}

test('podipc image build (podman, offline bases, --network none): a non-root Node 24 probe image with every native product, labelled; the same tree is not rebuilt', { skip, timeout: 40 * 60_000 }, async () => {
  const log: string[] = [];
  engine = await prepareEngine('podman', work, { log: (l) => log.push(l) });
  before.state = podmanState(engine);
  before.images = imageIds(engine);
  built = await buildImage({ ...DEFAULT_REQUEST, engine: 'podman', tag: TAG }, { log: (l) => log.push(l) });
  assert.ok(built.built, 'built');
  assert.equal(built.user, '1000:1000');
  assert.ok(log.some((l) => /build the probe image .* --network none/.test(l)), `the build ran without a network:\n${log.join('\n')}`);
  assertProbeImage(engine, TAG);
  const again = await buildImage({ ...DEFAULT_REQUEST, engine: 'podman', tag: TAG }, { log: (l) => log.push(l) });
  assert.equal(again.built, false, 'the same tree is not rebuilt');
  assert.equal(again.imageId, built.imageId);
});

const MECHANISMS = 'tcp,udp,uds,fifo,mq-posix,mq-sysv,shm-posix/futex,shm-sysv/spin,file-disk';

test('--placement podman: real pods from the kind manifests, same pod and across pods, integrity intact, nothing left behind', { skip, timeout: 30 * 60_000 }, async () => {
  assert.ok(built && engine, 'the image test ran first');
  process.env.PODIPC_PODMAN_IMAGE = TAG;
  try {
    const results = await runQuick(['--placement', 'podman', '--runs', '1', '--mechanisms', MECHANISMS, '--sizes', '64,16KiB', '--runtime', 'node', '--out', join(work, 'run')]);
    const facts = results.env.placements.podman;
    assert.ok(facts, 'the podman facts are recorded');
    assert.match(facts.isolation, /infra container/);
    assert.equal(facts.details?.imageId, built.imageId, 'the run used the image this test built');
    for (const c of results.cases) {
      assert.equal(c.placement, 'podman');
      if (c.topology === 'cross-pod' && !['tcp', 'udp'].includes(c.mechanism)) {
        assert.equal(c.status, 'skipped', `${c.mechanism} across pods`);
        continue;
      }
      assertCaseSane(c, { lossless: c.mechanism !== 'udp' });
    }
    for (const m of MECHANISMS.split(',')) {
      const [mechanism, variant] = m.split('/');
      assert.ok(results.cases.some((c) => c.mechanism === mechanism && c.variant === variant && c.topology === 'same-pod' && c.status === 'ok'), `${m} ran in one pod`);
    }
    assert.ok(results.cases.some((c) => c.mechanism === 'tcp' && c.topology === 'cross-pod' && c.status === 'ok'), 'tcp ran across pods');
    assert.ok(results.cases.some((c) => c.mechanism === 'udp' && c.topology === 'cross-pod' && c.status === 'ok'), 'udp ran across pods');
    assert.match(String(facts.details?.crossPodNetwork ?? ''), /^podipc-\w+ 198\.19\.\d+\.0\/24 \(internal/, 'cross-pod over a network of the run, in the benchmarking range');
  } finally {
    delete process.env.PODIPC_PODMAN_IMAGE;
  }
  assert.deepEqual(podmanState(engine), before.state, 'no pod, container, volume or network of the run is left');
});

test('Ctrl-C while a pair runs: podipc exits 130 and removes its pods, volumes and network', { skip, timeout: 10 * 60_000 }, async () => {
  assert.ok(built && engine, 'the image test ran first');
  const e = engine;
  const child = spawn(process.execPath, [CLI, 'run', '--placement', 'podman', '--runs', '3', '--mechanisms', 'tcp', '--topology', 'cross-pod', '--sizes', '64', '--runtime', 'node', '--budget-ms', '20000', '--out', join(work, 'interrupted')], {
    env: { ...process.env, PODIPC_PODMAN_IMAGE: TAG },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'exit');
  // Wait until the client pod is up: the pair is running.
  let running = false;
  for (let i = 0; i < 240 && !running && child.exitCode === null; i++) {
    await sleep(500);
    running = engineRun(e, ['ps', '--filter', 'label=podipc.dev/role=client', '--filter', 'status=running', '--format', '{{.Names}}']).trim() !== '';
  }
  assert.ok(running, `no client pod came up:\n${stderr}`);
  child.kill('SIGINT');
  const [code] = (await exited) as [number | null];
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted/);
  assert.deepEqual(podmanState(e), before.state, `nothing of the interrupted run is left:\n${stderr}`);
});

let daemon: ChildProcess | undefined;

async function stopDaemon(): Promise<void> {
  if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) return;
  const exited = once(daemon, 'exit');
  daemon.kill('SIGTERM');
  if (!(await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]))) {
    daemon.kill('SIGKILL');
    await exited;
  }
}
after(stopDaemon);

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

test("k8s/Dockerfile under Docker's builder: a private dockerd (no bridge, no iptables), the same bases, --network none, the same probe image", { skip: dockerSkip, timeout: 30 * 60_000 }, async () => {
  assert.ok(built && engine, 'the image test ran first');
  const root = join(work, 'docker');
  const socket = join(root, 'docker.sock');
  const pidfile = join(root, 'docker.pid');
  execFileSync('mkdir', ['-p', root]);
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
  const docker = await prepareEngine('docker', root, { log: () => {}, env });

  // The offline bases podman holds, handed to Docker as an archive: made once per test run.
  const archive = join(root, 'bases.tar');
  const bases = [baseTag({ role: 'builder', mirror: DEFAULT_REQUEST.mirror }), built.bases.builder, built.bases.runtime];
  engineRun(engine, ['save', '--multi-image-archive', '--format', 'docker-archive', '--output', archive, ...bases]);
  engineRun(docker, ['load', '--input', archive]);
  rmSync(archive);

  const log: string[] = [];
  const tag = 'localhost/podipc-probe-test:docker';
  const result = await buildImage({ ...DEFAULT_REQUEST, engine: 'docker', tag }, { log: (l) => log.push(l), env });
  assert.ok(result.built);
  assert.deepEqual(result.madeBases, [], `the bases came from podman:\n${log.join('\n')}`);
  assert.equal(result.user, '1000:1000');
  assert.ok(log.some((l) => /build the probe image .*docker, --network none/.test(l)), log.join('\n'));
  assertProbeImage(docker, tag);

  await stopDaemon();
  assert.deepEqual(processesUnder(root), [], 'no dockerd or containerd left');
  assert.deepEqual(readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(root)), [], 'no mount left under the daemon roots');
});

test('afterwards podman holds exactly the images it held before', { skip, timeout: 5 * 60_000 }, () => {
  assert.ok(built && engine && before.images, 'the image test ran first');
  engineRun(engine, ['rmi', '--force', TAG, ...built.madeBases]);
  built = { ...built, madeBases: [] };
  // podman builds its own infra image (localhost/podman-pause) for the first pod on a machine.
  const pause = engineRun(engine, ['images', '--filter', 'reference=localhost/podman-pause', '--quiet', '--no-trunc']).split('\n').filter(Boolean);
  assert.deepEqual(imageIds(engine).filter((id) => !pause.includes(id) || before.images!.includes(id)), before.images);
});
