/**
 * The one results loader: every command that reads a results.json (report, compare,
 * recommend) comes through here, so every reader gives the same errors and upgrades old
 * schema versions the same way.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseResultFile, ResultFileError, type ResultFile } from '../core/results.js';

export async function readResultFile(path: string): Promise<ResultFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ResultFileError(
      code === 'ENOENT'
        ? `${path} does not exist. Pass a results.json written by 'podipc run' (it lands in results/<timestamp>/).`
        : code === 'EISDIR'
          ? `${path} is a directory. Pass the results.json inside it: ${join(path, 'results.json')}`
          : `cannot read ${path}: ${(err as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ResultFileError(`${path} is not JSON (${(err as Error).message}); pass a results.json written by 'podipc run'.`);
  }
  return parseResultFile(json, path);
}

/** Write DIR/results.json atomically (a temporary file renamed into place): never half a file. */
export async function writeResultFile(results: ResultFile, dir: string): Promise<string> {
  const path = join(dir, 'results.json');
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(results, null, 2) + '\n');
  await rename(tmp, path);
  return path;
}
