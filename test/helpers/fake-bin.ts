/**
 * Stand-in command-line tools for tests of placements that drive docker, kind, kubectl:
 * a directory of shell scripts, each appending "name args" to calls.log before it runs its
 * body, and `withPath` to put that directory first on PATH while a test body runs.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeBin {
  dir: string;
  /** Every call so far, "name args" each, in order. */
  calls(): string[];
}

/** A new directory under `parent` with one script per tool (body: sh, after the call is logged). */
export function fakeBin(parent: string, tools: Record<string, string>): FakeBin {
  const dir = mkdtempSync(join(parent, 'bin-'));
  const log = join(dir, 'calls.log');
  for (const [name, body] of Object.entries(tools)) {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> '${log}'\n${body}\n`);
    chmodSync(path, 0o755);
  }
  return { dir, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []) };
}

/** Run `fn` with `dir` first on PATH (restored afterwards, also when it throws). */
export async function withPath<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = `${dir}:${saved}`;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}
