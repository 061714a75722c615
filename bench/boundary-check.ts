#!/usr/bin/env node
/**
 * Proves a pod boundary with real objects. Run in one container (`create`), it makes a
 * SysV message queue (ipcmk, util-linux), a file in /dev/shm and a file in each of the
 * pod's volumes; run anywhere else (`look`), it reports which of them it can see; `remove`
 * deletes them. The harness runs `look` in the pod's other container (must see all), on
 * the host and in the second pod (must see none of the pod's private objects) and judges.
 *
 * Every command prints one line: BOUNDARY_LINE_PREFIX + JSON.
 *
 *   node dist/bench/boundary-check.js create --token T --disk DIR --memory DIR
 *   node dist/bench/boundary-check.js look   --token T --key K --disk DIR --memory DIR
 *   node dist/bench/boundary-check.js remove --token T --key K --disk DIR --memory DIR
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { argv, exit, stderr, stdout } from 'node:process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const BOUNDARY_LINE_PREFIX = 'PODIPC_BOUNDARY ';

export interface BoundaryObjects {
  /** SysV message queue key (signed, as /proc/sysvipc/msg prints it). */
  queueKey: number;
  devShmFile: string;
  diskFile: string;
  memoryFile: string;
}

export interface BoundaryLook {
  queue: boolean;
  devShm: boolean;
  diskVolume: boolean;
  memoryVolume: boolean;
  /** e.g. "ipc:[4026532179]": which IPC namespace the looker is in. */
  ipcNamespace: string;
  hostname: string;
}

export function objectPaths(token: string, disk: string, memory: string): Omit<BoundaryObjects, 'queueKey'> {
  const name = `podipc-boundary-${token}`;
  return { devShmFile: join('/dev/shm', name), diskFile: join(disk, name), memoryFile: join(memory, name) };
}

/** SysV message queues visible here: key -> id. /proc/sysvipc/msg lists the reader's IPC namespace. */
function queues(): Map<number, number> {
  const found = new Map<number, number>();
  for (const line of readFileSync('/proc/sysvipc/msg', 'utf8').split('\n').slice(1)) {
    const [key, id] = line.trim().split(/\s+/);
    if (key !== undefined && id !== undefined && key !== '') found.set(Number(key), Number(id));
  }
  return found;
}

function create(token: string, disk: string, memory: string): BoundaryObjects {
  const out = execFileSync('ipcmk', ['--queue', '--mode', '0600'], { encoding: 'utf8' });
  const id = Number(/(\d+)\s*$/.exec(out.trim())?.[1]);
  const entry = [...queues()].find(([, qid]) => qid === id);
  if (!entry) throw new Error(`ipcmk made queue id ${id} but /proc/sysvipc/msg does not list it (output: ${out.trim()})`);
  const paths = objectPaths(token, disk, memory);
  for (const file of [paths.devShmFile, paths.diskFile, paths.memoryFile]) writeFileSync(file, `podipc boundary check ${token}\n`, { mode: 0o600 });
  return { queueKey: entry[0], ...paths };
}

function look(token: string, key: number, disk: string, memory: string): BoundaryLook {
  const paths = objectPaths(token, disk, memory);
  return {
    queue: queues().has(key),
    devShm: existsSync(paths.devShmFile),
    diskVolume: existsSync(paths.diskFile),
    memoryVolume: existsSync(paths.memoryFile),
    ipcNamespace: readlinkSync('/proc/self/ns/ipc'),
    hostname: hostname(),
  };
}

function remove(token: string, key: number, disk: string, memory: string): { removed: true } {
  const id = queues().get(key);
  if (id !== undefined) execFileSync('ipcrm', ['--queue-id', String(id)]);
  const paths = objectPaths(token, disk, memory);
  for (const file of [paths.devShmFile, paths.diskFile, paths.memoryFile]) rmSync(file, { force: true });
  return { removed: true };
}

function main(): void {
  const { positionals, values } = parseArgs({
    args: argv.slice(2),
    allowPositionals: true,
    options: { token: { type: 'string' }, key: { type: 'string' }, disk: { type: 'string' }, memory: { type: 'string' } },
  });
  const [command] = positionals;
  const { token, disk, memory } = values;
  if (!token || !/^[a-z0-9-]{1,40}$/.test(token) || !disk || !memory) {
    throw new Error('usage: boundary-check create|look|remove --token T [--key K] --disk DIR --memory DIR');
  }
  const key = Number(values.key);
  let result: unknown;
  if (command === 'create') result = create(token, disk, memory);
  else if ((command === 'look' || command === 'remove') && Number.isInteger(key)) {
    result = command === 'look' ? look(token, key, disk, memory) : remove(token, key, disk, memory);
  } else throw new Error(`unknown command '${command}' or missing --key: use create, look --key K or remove --key K`);
  stdout.write(BOUNDARY_LINE_PREFIX + JSON.stringify(result) + '\n');
}

// Only when run as a program: the harness imports the types and the line prefix.
if (argv[1] && pathToFileURL(argv[1]).href === import.meta.url) {
  try {
    main();
    exit(0);
  } catch (err) {
    stderr.write(`boundary-check: ${(err as Error).message}\n`);
    exit(2);
  }
}
