/**
 * One definition per command gives both its parser and its --help: `podipc --help` lists
 * every command with every flag, each command's --help shows its flags with defaults,
 * every flag the help shows is one the parser takes, and --version works everywhere.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { COMMANDS } from '../harness/commands/index.js';
import { parseFlags, UsageError } from '../harness/flags.js';
import { PACKAGE_ROOT } from '../harness/paths.js';

const CLI = resolve(import.meta.dirname, '../harness/cli.js');
const VERSION = (JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function podipc(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('podipc --version, and --version on every command', () => {
  const line = new RegExp(`^podipc ${VERSION.replace(/\./g, '\\.')} \\(commit [0-9a-f]{7}(-dirty)?\\)\\n$`);
  const top = podipc(['--version']);
  assert.equal(top.code, 0, top.stderr);
  assert.match(top.stdout, line);
  for (const c of COMMANDS) {
    const r = podipc([...c.name.split(' '), '--version']);
    assert.equal(r.code, 0, `${c.name}: ${r.stderr}`);
    assert.match(r.stdout, line, c.name);
  }
});

test('podipc --help lists every command with every one of its flags', () => {
  const r = podipc(['--help']);
  assert.equal(r.code, 0);
  for (const c of COMMANDS) {
    assert.ok(r.stdout.includes(`\n${c.usage()}\n`), `${c.name} is not listed`);
    for (const flag of Object.keys(c.flags)) assert.match(r.stdout, new RegExp(`--${flag}\\b`), `${c.name} --${flag} missing`);
  }
});

test('each command --help: usage, what it does, every flag with its value name and default', () => {
  for (const c of COMMANDS) {
    const r = podipc([...c.name.split(' '), '--help']);
    assert.equal(r.code, 0, c.name);
    assert.equal(r.stdout, c.help());
    assert.ok(r.stdout.startsWith(`Usage: ${c.usage()}\n\n${c.summary}\n`), c.name);
    for (const [name, flag] of Object.entries(c.flags)) {
      const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith(`--${name}${flag.metavar ? ` ${flag.metavar}` : ''} `));
      assert.ok(line, `${c.name} --help has no line for --${name}`);
      if (flag.defaultText !== undefined) assert.ok(line.includes(`(default ${flag.defaultText})`), `${c.name} --${name}: ${line}`);
    }
  }
  const run = podipc(['run', '--help']).stdout;
  assert.match(run, /--runs N +independent process pairs per case .*\(default 3; --quick: 5\)/);
  assert.match(run, /--sizes LIST +message sizes in bytes/);
});

test('every flag the help shows is a flag the parser takes, with the value the help names', () => {
  for (const c of COMMANDS) {
    for (const [name, flag] of Object.entries(c.flags)) {
      const argv = flag.takesValue ? [`--${name}`, 'x'] : [`--${name}`];
      try {
        parseFlags(c.flags, argv, c.name);
      } catch (err) {
        assert.ok(err instanceof UsageError, String(err));
        // A bad value is fine ('x' is rarely a valid size); an unknown flag is not.
        assert.doesNotMatch(err.message, /unknown flag/, `${c.name} --${name}`);
        assert.match(err.message, new RegExp(`--${name}`), `${c.name} --${name}: the error names the flag: ${err.message}`);
      }
    }
  }
});

test('a group without its subcommand, and an unknown one, name the subcommands', () => {
  const r = podipc(['k8s']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "podipc: missing k8s command. Use 'podipc k8s render'.\n");
  const c = podipc(['cluster', 'sideways']);
  assert.equal(c.code, 2);
  assert.equal(c.stderr, "podipc: unknown cluster command 'sideways'. Use 'podipc cluster up' or 'podipc cluster down'.\n");
});
