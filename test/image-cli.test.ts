/**
 * `podipc image build|clean` at the edge: every flag checked once, a bad value is exit 2
 * with a line that names the fix, defaults are the offline build of podipc-probe:local.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageCommand, ImageUsageError, parseImageArgs } from '../harness/commands/image.js';

const PATH_WITH_PODMAN = { PATH: '/usr/bin:/bin:/usr/sbin' };

function capture(): { io: { stdout: (t: string) => void; stderr: (t: string) => void }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t) }, out: () => out, err: () => err };
}

test('defaults: the offline build of podipc-probe:local with the named engine', () => {
  assert.deepEqual(parseImageArgs(['--engine', 'docker'], PATH_WITH_PODMAN), { engine: 'docker', base: 'offline', tag: 'podipc-probe:local', mirror: 'http://deb.debian.org/debian', force: false, rebuildBases: false });
  assert.equal(parseImageArgs(['--help']), undefined);
});

test('each bad flag is refused with the fix', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--engine', 'lxc'], /--engine: 'lxc' is not one of podman, docker/],
    [['--engine', 'podman', '--base', 'alpine'], /--base: 'alpine' is not offline or official/],
    [['--engine', 'podman', '--tag', 'Podipc'], /--tag: 'Podipc' is not NAME:TAG in lowercase/],
    [['--engine', 'podman', '--tag', 'podipc-probe'], /is not NAME:TAG/],
    [['--engine', 'podman', '--debian-mirror', 'deb.debian.org'], /--debian-mirror: 'deb.debian.org' is not a URL/],
    [['--engine', 'podman', '--bogus'], /Unknown option '--bogus'.*podipc image --help/],
  ];
  for (const [args, pattern] of cases) assert.throws(() => parseImageArgs(args, PATH_WITH_PODMAN), (e: Error) => e instanceof ImageUsageError && pattern.test(e.message), args.join(' '));
  assert.throws(() => parseImageArgs([], { PATH: '/nonexistent' }), /neither podman nor docker is on PATH/);
});

test('the command: exit 2 for usage errors and unknown subcommands, 0 for help', async () => {
  const a = capture();
  assert.equal(await imageCommand(['build', '--engine', 'lxc'], a.io, PATH_WITH_PODMAN), 2);
  assert.match(a.err(), /^podipc: --engine: 'lxc'/);
  const b = capture();
  assert.equal(await imageCommand(['push'], b.io), 2);
  assert.match(b.err(), /unknown image command 'push'. Use 'podipc image build' or 'podipc image clean'/);
  const c = capture();
  assert.equal(await imageCommand(['--help'], c.io), 0);
  assert.match(c.out(), /--base offline\|official/);
  const d = capture();
  assert.equal(await imageCommand(['clean', '--tag', 'x:y'], d.io, PATH_WITH_PODMAN), 2, 'clean takes only --engine');
});

test('a missing engine is a prerequisite (exit 2) naming the package', async () => {
  const a = capture();
  assert.equal(await imageCommand(['build', '--engine', 'podman'], a.io, { PATH: '/nonexistent' }), 2);
  assert.match(a.err(), /podman is not on PATH: install it \(Debian\/Ubuntu: apt-get install podman runc catatonit uidmap\)/);
});
