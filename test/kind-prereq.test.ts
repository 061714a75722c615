/**
 * The kind placement's prerequisite check: each missing tool is named with its fix, a
 * Docker CLI without an engine is caught by asking the engine, and `podipc run --placement
 * kind` / `podipc cluster up` stop with exit 2 before creating anything. The machine's own
 * tools are never used here (a machine with Docker and kind would start a cluster): the
 * tests put stand-in docker/kind/kubectl scripts on PATH that record every call.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { askEngine, diagnose, findPrerequisites, FIX } from '../harness/placements/kind/prereq.js';
import { kindSettings } from '../harness/placements/kind/settings.js';
import { fakeBin as makeFakeBin, type FakeBin } from './helpers/fake-bin.js';

const CLI = fileURLToPath(new URL('../harness/cli.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'podipc-kind-prereq-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The exact words of a Docker CLI whose engine is not running (seen on the development machine). */
const NO_ENGINE = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';

/** A directory of stand-in tools; each appends "name args" to calls.log. */
const fakeBin = (tools: Record<string, string>): FakeBin => makeFakeBin(tmp, tools);

const DOCKER_WITHOUT_ENGINE = `echo '${NO_ENGINE}' >&2\nexit 1`;
const OK = 'exit 0';

test('diagnose: everything there -> ok', () => {
  assert.deepEqual(diagnose({ docker: '/usr/bin/docker', kind: '/usr/bin/kind', kubectl: '/usr/bin/kubectl', engine: { ok: true, serverVersion: '28.2.2' } }), { ok: true });
});

test('diagnose: a Docker CLI without an engine names the engine, what docker said, and how to start it', () => {
  const r = diagnose({ docker: '/usr/bin/docker', kind: '/usr/bin/kind', kubectl: '/usr/bin/kubectl', engine: { ok: false, error: NO_ENGINE } });
  assert.equal(r.ok, false);
  assert.ok(!r.ok);
  assert.match(r.reason, /no Docker engine is reachable/);
  assert.ok(r.reason.includes(NO_ENGINE), r.reason);
  assert.match(r.reason, /systemctl start docker/);
  assert.match(r.reason, /Nothing was created/);
  assert.doesNotMatch(r.reason, /kind is not on PATH|kubectl is not on PATH/);
});

test('diagnose: each missing tool is named with its own fix; several are numbered', () => {
  const only = (f: Partial<Parameters<typeof diagnose>[0]>): string => {
    const r = diagnose({ docker: '/d', kind: '/k', kubectl: '/c', engine: { ok: true, serverVersion: '1' }, ...f });
    assert.ok(!r.ok);
    return r.reason;
  };
  assert.ok(only({ docker: undefined, engine: undefined }).includes(FIX.dockerCli));
  assert.ok(only({ kind: undefined }).includes(FIX.kind));
  assert.ok(only({ kubectl: undefined }).includes(FIX.kubectl));
  const all = only({ docker: undefined, engine: undefined, kind: undefined, kubectl: undefined });
  assert.match(all, /\(1\) the Docker CLI is not on PATH.*\(2\) kind is not on PATH.*\(3\) kubectl is not on PATH/);
  assert.match(FIX.kind, /go install sigs\.k8s\.io\/kind@/);
});

test('findPrerequisites: looks tools up on PATH and asks the engine with `docker info`, nothing else', async () => {
  const bin = fakeBin({ docker: DOCKER_WITHOUT_ENGINE, kubectl: OK });
  const found = await findPrerequisites({ PATH: bin.dir });
  assert.equal(found.docker, join(bin.dir, 'docker'));
  assert.equal(found.kind, undefined);
  assert.equal(found.kubectl, join(bin.dir, 'kubectl'));
  assert.deepEqual(found.engine, { ok: false, error: NO_ENGINE });
  assert.deepEqual(bin.calls(), ['docker info --format {{.ServerVersion}}']);
  const verdict = diagnose(found);
  assert.ok(!verdict.ok);
  assert.match(verdict.reason, /\(1\) no Docker engine is reachable .*\(2\) kind is not on PATH/);
});

test('an engine that answers is ok; one that hangs is reported, not waited for', async () => {
  const answering = fakeBin({ docker: 'echo 28.2.2' });
  assert.deepEqual(await askEngine(join(answering.dir, 'docker'), { PATH: answering.dir }), { ok: true, serverVersion: '28.2.2' });
  const hanging = fakeBin({ docker: 'exec /bin/sleep 30' });
  const r = await askEngine(join(hanging.dir, 'docker'), { PATH: hanging.dir }, 300);
  assert.deepEqual(r, { ok: false, error: 'no answer within 0.3 s' });
});

test('podipc run --placement kind without a Docker engine: exit 2, names the engine, runs nothing but `docker info`, creates nothing', () => {
  const bin = fakeBin({ docker: DOCKER_WITHOUT_ENGINE, kind: OK, kubectl: OK });
  const out = join(tmp, 'run-out');
  const r = spawnSync(process.execPath, [CLI, 'run', '--placement', 'kind', '--quick', '--out', out], {
    encoding: 'utf8',
    env: { PATH: bin.dir, HOME: tmp },
    timeout: 60_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--placement kind: .*no Docker engine is reachable \(`docker info` says: Cannot connect to the Docker daemon/);
  assert.match(r.stderr, /start it \(`sudo systemctl start docker`/);
  assert.deepEqual(bin.calls(), ['docker info --format {{.ServerVersion}}'], 'no kind or kubectl call: nothing created');
  assert.ok(!existsSync(out), 'the output directory is not left behind');
});

test('podipc run --placement kind with nothing installed names all three tools', () => {
  const empty = fakeBin({});
  const r = spawnSync(process.execPath, [CLI, 'run', '--placement', 'kind', '--out', join(tmp, 'none')], { encoding: 'utf8', env: { PATH: empty.dir, HOME: tmp }, timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /the Docker CLI is not on PATH: install Docker Engine/);
  assert.match(r.stderr, /kind is not on PATH: install it/);
  assert.match(r.stderr, /kubectl is not on PATH: install it/);
});

test('podipc cluster up / down without a Docker engine: exit 2 before any kind command', () => {
  for (const sub of ['up', 'down']) {
    const bin = fakeBin({ docker: DOCKER_WITHOUT_ENGINE, kind: OK, kubectl: OK });
    const r = spawnSync(process.execPath, [CLI, 'cluster', sub], { encoding: 'utf8', env: { PATH: bin.dir, HOME: tmp }, timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`cluster ${sub}: .*no Docker engine is reachable`));
    assert.deepEqual(bin.calls(), ['docker info --format {{.ServerVersion}}']);
  }
  const usage = spawnSync(process.execPath, [CLI, 'cluster', 'sideways'], { encoding: 'utf8' });
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /Use 'podipc cluster up' or 'podipc cluster down'/);
});

test('kind settings from the environment are validated when the placement is checked (exit 2, naming the variable)', () => {
  assert.deepEqual(kindSettings({}), {
    ok: true,
    settings: { teardown: false, pinnedCluster: false, nodeImage: undefined, raiseIpcLimits: false, devShmBytes: undefined, image: 'podipc-probe:local' },
  });
  const good = kindSettings({ PODIPC_KIND_DEV_SHM_MIB: '256', PODIPC_KIND_RAISE_IPC_LIMITS: '1', PODIPC_KIND_TEARDOWN: 'true' });
  assert.ok(good.ok && good.settings.devShmBytes === 256 * 1_048_576 && good.settings.raiseIpcLimits && good.settings.teardown);
  const flagged = kindSettings({}, true);
  assert.ok(flagged.ok && flagged.settings.teardown, '--teardown');
  const bad = kindSettings({ PODIPC_KIND_DEV_SHM_MIB: 'lots', PODIPC_KIND_PINNED: 'yes', PODIPC_KIND_IMAGE: 'no-tag' });
  assert.ok(!bad.ok);
  assert.match(bad.reason, /PODIPC_KIND_PINNED='yes' is not 1 or 0/);
  assert.match(bad.reason, /PODIPC_KIND_DEV_SHM_MIB='lots'/);
  assert.match(bad.reason, /PODIPC_KIND_IMAGE='no-tag'/);

  const bin = fakeBin({ docker: 'echo 28.2.2', kind: OK, kubectl: OK });
  const r = spawnSync(process.execPath, [CLI, 'run', '--placement', 'kind', '--out', join(tmp, 'bad-env')], {
    encoding: 'utf8',
    env: { PATH: bin.dir, HOME: tmp, PODIPC_KIND_DEV_SHM_MIB: 'lots' },
    timeout: 60_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /PODIPC_KIND_DEV_SHM_MIB='lots'/);
  assert.deepEqual(bin.calls(), []);
});
