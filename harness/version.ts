/**
 * Which podipc this is: the package version and the git commit of the checkout (with
 * "-dirty" when tracked files have uncommitted edits). Recorded in every results.json and
 * printed by `--version`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ResultFile } from '../core/results.js';
import { PACKAGE_ROOT } from './paths.js';

export function toolInfo(): ResultFile['tool'] {
  const pkg = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  let gitCommit = process.env.PODIPC_GIT_COMMIT ?? 'unknown';
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (dirty) gitCommit += '-dirty';
  } catch {
    /* not a git checkout (e.g. inside the probe image): keep the env value */
  }
  return { name: 'podipc', version: pkg.version, gitCommit };
}

/** "podipc 0.1.0 (commit 124a436)". */
export function versionLine(): string {
  const t = toolInfo();
  const m = /^([0-9a-f]{7})[0-9a-f]*(-dirty)?$/i.exec(t.gitCommit);
  return `podipc ${t.version} (commit ${m ? `${m[1]}${m[2] ?? ''}` : t.gitCommit})`;
}
