/**
 * The probe image's build context and offline npm cache: which sources go in (the
 * Dockerfile's ignore list, read strictly), which locked packages the image installs
 * (npm's platform rule), the tarball URLs an offline lockfile needs, where npm finds a
 * tarball by its integrity, and the source hash that decides whether to rebuild.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { cacheContentPath, contextFiles, fillNpmCache, includedPaths, lockedTarballs, sha512Integrity, withResolvedUrls, writeContext } from '../harness/image/context.js';
import { baseTag, depsTag } from '../harness/image/offline-base.js';
import { NODE_PROBE_COMMAND_LINE_FLAGS } from '../core/node-probe.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'podipc-image-context-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the ignore file is read as "everything out, then these in", and anything else is refused', () => {
  assert.deepEqual(includedPaths('**\n# the sources\n!package.json\n!bench/**\n'), ['package.json', 'bench']);
  assert.throws(() => includedPaths('!package.json\n'), /must start with '\*\*'/);
  assert.throws(() => includedPaths('**\n!bench/*.ts\n'), /'!bench\/\*\.ts' is not of the form/);
  assert.throws(() => includedPaths('**\nnode_modules\n'), /'node_modules' is not of the form/);
  assert.throws(() => includedPaths('**\n!../secrets\n'), /is not of the form/);
});

test("the repository's context holds the Dockerfile and the probe's sources, and no build output", async () => {
  const files = await contextFiles(REPO);
  for (const f of ['k8s/Dockerfile', 'package.json', 'package-lock.json', 'binding.gyp', 'tsconfig.json', 'k8s/tsconfig.probe.json', 'bench/entrypoint.ts']) {
    assert.ok(files.includes(f), `${f} is in the context`);
  }
  assert.ok(!files.some((f) => f.startsWith('node_modules/') || f.startsWith('dist/') || f.startsWith('build/') || f.startsWith('test/')), 'no node_modules, dist, build or tests');
});

const LOCK = JSON.stringify({
  lockfileVersion: 3,
  packages: {
    '': { name: 'x', dependencies: { a: '^1.0.0' } },
    'node_modules/a': { version: '1.0.0', integrity: 'sha512-AAAA' },
    'node_modules/@s/b': { version: '2.0.0', integrity: 'sha512-BBBB', dev: true },
    'node_modules/a/node_modules/c': { version: '3.0.0', integrity: 'sha512-CCCC', resolved: 'https://mirror.example/c-3.0.0.tgz' },
    'node_modules/win-only': { version: '1.0.0', integrity: 'sha512-DDDD', os: ['win32'], optional: true },
    'node_modules/not-windows': { version: '1.0.0', integrity: 'sha512-EEEE', os: ['!win32'] },
    'node_modules/not-linux': { version: '1.0.0', integrity: 'sha512-HHHH', os: ['!linux'], optional: true },
    'node_modules/arm': { version: '1.0.0', integrity: 'sha512-FFFF', cpu: ['arm64'] },
    'node_modules/musl': { version: '1.0.0', integrity: 'sha512-GGGG', os: ['linux'], cpu: ['x64'], libc: ['musl'] },
    'node_modules/linked': { link: true, resolved: '../linked' },
  },
});

test("locked packages are those npm installs on the image's platform (linux, x64, glibc), dev dependencies included", () => {
  assert.deepEqual(
    lockedTarballs(LOCK).map((t) => `${t.name}@${t.version}`),
    ['a@1.0.0', '@s/b@2.0.0', 'c@3.0.0', 'not-windows@1.0.0'],
  );
  assert.throws(() => lockedTarballs(JSON.stringify({ lockfileVersion: 1, dependencies: {} })), /lockfileVersion 2 or 3/);
});

test('an offline lockfile gets the registry URL of each tarball it lacks; recorded URLs and links stay', () => {
  const lock = JSON.parse(withResolvedUrls(LOCK)) as { packages: Record<string, { resolved?: string }> };
  assert.equal(lock.packages['node_modules/a']!.resolved, 'https://registry.npmjs.org/a/-/a-1.0.0.tgz');
  assert.equal(lock.packages['node_modules/@s/b']!.resolved, 'https://registry.npmjs.org/@s/b/-/b-2.0.0.tgz');
  assert.equal(lock.packages['node_modules/a/node_modules/c']!.resolved, 'https://mirror.example/c-3.0.0.tgz');
  assert.equal(lock.packages['node_modules/linked']!.resolved, '../linked');
  assert.equal(lock.packages['']!.resolved, undefined);
});

test("tarballs land in the npm cache under their sha512, where npm ci looks first; a missing one is named", async () => {
  const tarballs = join(tmp, 'tarballs');
  mkdirSync(tarballs);
  const data = Buffer.from('pretend this is a tarball');
  writeFileSync(join(tarballs, 'a-1.0.0.tgz'), data);
  const integrity = sha512Integrity(data);
  const hex = createHash('sha512').update(data).digest('hex');
  assert.equal(cacheContentPath('/c', integrity), `/c/_cacache/content-v2/sha512/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex.slice(4)}`);
  await fillNpmCache(tarballs, join(tmp, 'cache'), [{ name: 'a', version: '1.0.0', integrity }]);
  assert.deepEqual(readFileSync(cacheContentPath(join(tmp, 'cache'), integrity)), data);
  await assert.rejects(
    fillNpmCache(tarballs, join(tmp, 'cache2'), [{ name: 'a', version: '1.0.0', integrity }, { name: 'b', version: '2.0.0', integrity: 'sha512-Zm9v' }]),
    /did not deliver the locked tarballs of b@2\.0\.0/,
  );
  assert.throws(() => cacheContentPath('/c', 'sha1-abc'), /only sha512/);
});

test('the source hash changes with any source byte or base image, and only then', async () => {
  const repo = join(tmp, 'repo');
  for (const [path, text] of Object.entries({
    'k8s/Dockerfile.dockerignore': '**\n!package.json\n!package-lock.json\n!bench/**\n',
    'k8s/Dockerfile': 'FROM scratch\n',
    'package.json': '{}\n',
    'package-lock.json': LOCK,
    'bench/a.ts': 'export const a = 1;\n',
    'harness/not-copied.ts': 'x\n',
  })) {
    mkdirSync(join(repo, path, '..'), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  const build = (n: number, extra = ['base:1'], offlineLock = true) => writeContext(repo, join(tmp, `ctx${n}`), { offlineLock, extra });
  const first = await build(1);
  assert.deepEqual(first.files, ['bench/a.ts', 'k8s/Dockerfile', 'package-lock.json', 'package.json']);
  assert.match(readFileSync(join(tmp, 'ctx1', 'package-lock.json'), 'utf8'), /registry\.npmjs\.org\/a\/-\/a-1\.0\.0\.tgz/);
  assert.equal((await build(2)).sourceHash, first.sourceHash, 'same tree, same hash');
  writeFileSync(join(repo, 'harness/not-copied.ts'), 'y\n');
  assert.equal((await build(3)).sourceHash, first.sourceHash, 'a file outside the context does not count');
  assert.notEqual((await build(4, ['base:2'])).sourceHash, first.sourceHash, 'another base image');
  writeFileSync(join(repo, 'bench/a.ts'), 'export const a = 2;\n');
  assert.notEqual((await build(5)).sourceHash, first.sourceHash, 'a changed source');
});

test('base image tags name what went into them', () => {
  const builder = baseTag({ role: 'builder', mirror: 'http://deb.debian.org/debian' });
  assert.match(builder, /^localhost\/podipc-builder:bookworm-node24\.\d+\.\d+-[0-9a-f]{12}$/);
  assert.notEqual(baseTag({ role: 'builder', mirror: 'http://snapshot.debian.org/archive/debian/20250520T000000Z' }), builder, 'another mirror, another base');
  assert.notEqual(baseTag({ role: 'runtime', mirror: 'http://deb.debian.org/debian' }), builder);
  assert.equal(depsTag(builder, ['sha512-b', 'sha512-a']), depsTag(builder, ['sha512-a', 'sha512-b']), 'the order of the lockfile does not matter');
  assert.notEqual(depsTag(builder, ['sha512-a']), depsTag(builder, ['sha512-a', 'sha512-b']));
});

test("the image's ENTRYPOINT starts the Node probe with the V8 flags V8 reads only at start, as the runtime's commands do", () => {
  const dockerfile = readFileSync(join(REPO, 'k8s', 'Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  assert.ok(line, 'the Dockerfile has an ENTRYPOINT');
  assert.deepEqual(JSON.parse(line.slice('ENTRYPOINT '.length)), ['node', ...NODE_PROBE_COMMAND_LINE_FLAGS, 'dist/bench/entrypoint.js']);
});
