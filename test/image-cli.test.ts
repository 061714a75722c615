/**
 * `podipc image build|clean` at the edge: every flag checked once, a bad value is exit 2
 * with a line that names the fix, a missing engine is a prerequisite (exit 2) naming the
 * package, and the defaults are the offline build of podipc-probe:local.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { IMAGE_BUILD_FLAGS, resolveEngine } from '../harness/commands/image.js';
import { parseFlags } from '../harness/flags.js';

const CLI = resolve(import.meta.dirname, '../harness/cli.js');

function podipc(args: string[], env: NodeJS.ProcessEnv = process.env): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('defaults: the offline build of podipc-probe:local', () => {
  const { flags } = parseFlags(IMAGE_BUILD_FLAGS, ['--engine', 'docker'], 'image build');
  assert.deepEqual(flags, { engine: 'docker', base: 'offline', tag: 'podipc-probe:local', 'debian-mirror': 'http://deb.debian.org/debian', force: false, 'rebuild-bases': false });
  assert.equal(resolveEngine(undefined, { PATH: '/usr/bin:/bin:/usr/sbin' }), 'podman', 'podman is installed here (scripts/setup.sh)');
  assert.throws(() => resolveEngine(undefined, { PATH: '/nonexistent' }), /neither podman nor docker is on PATH: install one \(Debian\/Ubuntu: apt-get install podman/);
});

test('each bad flag is refused with the fix, exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['image', 'build', '--engine', 'lxc'], /--engine: 'lxc' is not one of podman, docker/],
    [['image', 'build', '--base', 'alpine'], /--base: 'alpine' is not one of offline, official/],
    [['image', 'build', '--tag', 'Podipc'], /--tag: 'Podipc' is not NAME:TAG in lowercase/],
    [['image', 'build', '--tag', 'podipc-probe'], /is not NAME:TAG/],
    [['image', 'build', '--debian-mirror', 'deb.debian.org'], /--debian-mirror: 'deb.debian.org' is not a URL/],
    [['image', 'build', '--bogus'], /unknown flag '--bogus'.*podipc image build --help/],
    [['image', 'clean', '--tag', 'x:y'], /unknown flag '--tag'/],
    [['image', 'push'], /unknown image command 'push'. Use 'podipc image build' or 'podipc image clean'/],
  ];
  for (const [args, pattern] of cases) {
    const r = podipc(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
  }
});

test('help names the flags; a missing engine is a prerequisite (exit 2) naming the package', () => {
  const help = podipc(['image', 'build', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--base offline\|official/);
  const r = podipc(['image', 'build', '--engine', 'podman'], { PATH: '/nonexistent' });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /podman is not on PATH: install it \(Debian\/Ubuntu: apt-get install podman runc catatonit uidmap\)/);
});
