/**
 * Running the kernel's own tools (util-linux, iproute2) for the sandbox: finding them, and
 * running a command to completion with a deadline that kills its whole process group.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The tools the sandbox needs, with the Debian package that ships each. */
export const REQUIRED_TOOLS: Record<string, string> = {
  unshare: 'util-linux',
  nsenter: 'util-linux',
  setpriv: 'util-linux',
  ipcmk: 'util-linux',
  ipcrm: 'util-linux',
  mount: 'mount',
  ip: 'iproute2',
  sh: 'dash',
  sleep: 'coreutils',
  find: 'findutils',
};

/** Root's sbin directories are missing from some PATHs (npm, sudo -E); `ip` lives there. */
export function toolPath(): string {
  const parts = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const extra of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!parts.includes(extra)) parts.push(extra);
  }
  return parts.join(delimiter);
}

/** The environment every sandbox command runs with. */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: toolPath(), ...extra };
}

export function findTool(name: string): string | undefined {
  for (const dir of toolPath().split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Tools that are missing, e.g. "ip (iproute2)". */
export function missingTools(): string[] {
  return Object.entries(REQUIRED_TOOLS)
    .filter(([name]) => findTool(name) === undefined)
    .map(([name, pkg]) => `${name} (${pkg})`);
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Run a command to completion. It leads its own process group, so on timeout one
 * kill(-pid) reaches everything it started (nsenter -> unshare -> node).
 */
export function runCommand(command: string, args: readonly string[], options: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: options.env ?? toolEnv() });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Run a command that must succeed; the error names the command and carries its stderr. */
export async function mustRun(command: string, args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; what: string }): Promise<string> {
  const result = await runCommand(command, args, { timeoutMs: options.timeoutMs ?? 10_000, ...(options.env ? { env: options.env } : {}) });
  if (result.code === 0) return result.stdout;
  const how = result.timedOut ? 'timed out' : result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
  const shown = [command, ...args].map((a) => (a.includes('\n') ? '<script>' : a)).join(' ');
  throw new Error(`${options.what}: \`${shown.slice(0, 300)}\` ${how}: ${result.stderr.trim().slice(-1000) || '(no stderr)'}`);
}
