/**
 * The build context of the probe image: a clean copy of exactly the sources k8s/Dockerfile
 * copies, so every builder sees the same files (BuildKit, buildah and the legacy Docker
 * builder read ignore files differently; a copy needs none), and a hash of them that the
 * image carries as a label, so an unchanged tree is not rebuilt.
 *
 * The list of sources is k8s/Dockerfile.dockerignore's `!` lines - one list, also used by a
 * BuildKit build of the repository root by hand.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

export const DOCKERFILE = join('k8s', 'Dockerfile');
export const DOCKERIGNORE = join('k8s', 'Dockerfile.dockerignore');

/**
 * `**` then `!path` and `!dir/**` lines -> the paths to include. Anything else is refused:
 * a pattern this reader does not understand would silently change what the image contains.
 */
export function includedPaths(dockerignore: string): string[] {
  const lines = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (lines[0] !== '**') throw new Error(`${DOCKERIGNORE} must start with '**' (ignore everything) and then list what to include with '!'`);
  return lines.slice(1).map((line) => {
    const m = /^!([A-Za-z0-9_.\-/]+?)(\/\*\*)?$/.exec(line);
    if (!m || m[1]!.includes('*') || m[1]!.startsWith('/') || m[1]!.split('/').includes('..')) {
      throw new Error(`${DOCKERIGNORE}: '${line}' is not of the form '!path' or '!dir/**'`);
    }
    return m[1]!;
  });
}

async function walk(root: string, rel: string, out: string[]): Promise<void> {
  const full = join(root, rel);
  const info = await stat(full);
  if (info.isFile()) {
    out.push(rel);
    return;
  }
  if (!info.isDirectory()) return;
  for (const entry of (await readdir(full)).sort()) await walk(root, join(rel, entry), out);
}

/** Every file the context holds, relative to the repository, sorted. */
export async function contextFiles(repoRoot: string): Promise<string[]> {
  const include = includedPaths(await readFile(join(repoRoot, DOCKERIGNORE), 'utf8'));
  const files: string[] = [];
  for (const path of include) {
    try {
      await walk(repoRoot, path, files);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return [...new Set([...files, DOCKERFILE])].sort();
}

interface LockPackage {
  version?: string;
  integrity?: string;
  resolved?: string;
  link?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  dev?: boolean;
  optional?: boolean;
}

interface Lockfile {
  lockfileVersion?: number;
  packages?: Record<string, LockPackage>;
}

/** The platform the image runs on: the offline base is Debian (glibc) on x86-64. */
export const IMAGE_PLATFORM = { os: 'linux', cpu: 'x64', libc: 'glibc' } as const;

/** npm's own rule (npm-install-checks): `!x` excludes x; otherwise a list must name the value. */
function allows(list: readonly string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const positive = list.filter((v) => !v.startsWith('!'));
  return positive.length === 0 || positive.includes(value);
}

export interface LockedTarball {
  /** The package name, e.g. `@napi-rs/canvas`. */
  name: string;
  version: string;
  integrity: string;
}

/** The registry packages `npm ci` installs on the image's platform (dev dependencies too: tsc runs there). */
export function lockedTarballs(lockText: string): LockedTarball[] {
  const lock = JSON.parse(lockText) as Lockfile;
  if (!lock.packages || (lock.lockfileVersion ?? 0) < 2) throw new Error('package-lock.json has no "packages" map (lockfileVersion 2 or 3); run `npm install` with npm 7 or later to upgrade it');
  const out: LockedTarball[] = [];
  for (const [key, pkg] of Object.entries(lock.packages)) {
    if (key === '' || pkg.link || !pkg.version || !pkg.integrity) continue;
    if (!allows(pkg.os, IMAGE_PLATFORM.os) || !allows(pkg.cpu, IMAGE_PLATFORM.cpu) || !allows(pkg.libc, IMAGE_PLATFORM.libc)) continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    out.push({ name, version: pkg.version, integrity: pkg.integrity });
  }
  return out;
}

export const NPM_REGISTRY = 'https://registry.npmjs.org';

/**
 * A lockfile written with `omit-lockfile-registry-resolved` records no tarball URLs, and
 * npm then asks the registry for each package's metadata first. Offline there is no
 * registry: add the URL npm would have used (`<registry>/<name>/-/<base>-<version>.tgz`),
 * which with the lockfile's integrity is enough for npm to take the tarball from its cache.
 * Only the build context's copy changes.
 */
export function withResolvedUrls(lockText: string): string {
  const lock = JSON.parse(lockText) as Lockfile;
  for (const [key, pkg] of Object.entries(lock.packages ?? {})) {
    if (key === '' || pkg.link || pkg.resolved || !pkg.version || !pkg.integrity) continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const base = name.slice(name.lastIndexOf('/') + 1);
    pkg.resolved = `${NPM_REGISTRY}/${name}/-/${base}-${pkg.version}.tgz`;
  }
  return JSON.stringify(lock, null, 2) + '\n';
}

/** sha512 integrity -> the path of that content in an npm (cacache) cache directory. */
export function cacheContentPath(cacheDir: string, integrity: string): string {
  const [algorithm, base64] = integrity.split('-', 2) as [string, string | undefined];
  if (algorithm !== 'sha512' || !base64) throw new Error(`unsupported integrity '${integrity}': only sha512 is placed in the cache`);
  const hex = Buffer.from(base64, 'base64').toString('hex');
  // cacache's layout: content-v2/<algorithm>/<2 hex>/<2 hex>/<rest of the hex digest>.
  return join(cacheDir, '_cacache', 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

export function sha512Integrity(data: Uint8Array): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

/**
 * Put each tarball in `tarballDir` into the cache under its digest; every locked package
 * must be among them (a missing one is named).
 */
export async function fillNpmCache(tarballDir: string, cacheDir: string, wanted: readonly LockedTarball[]): Promise<void> {
  const have = new Set<string>();
  for (const file of (await readdir(tarballDir)).filter((f) => f.endsWith('.tgz'))) {
    const data = await readFile(join(tarballDir, file));
    const integrity = sha512Integrity(data);
    const target = cacheContentPath(cacheDir, integrity);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data);
    have.add(integrity);
  }
  const missing = wanted.filter((t) => !have.has(t.integrity));
  if (missing.length > 0) {
    throw new Error(`npm pack did not deliver the locked tarballs of ${missing.map((t) => `${t.name}@${t.version}`).join(', ')} (integrity differs from package-lock.json?)`);
  }
}

export interface BuildContext {
  dir: string;
  files: string[];
  /** sha256 over every path and its bytes, plus the base images: the image's source label. */
  sourceHash: string;
}

/**
 * Copy the sources into `dir`. `offlineLock` writes the lockfile with tarball URLs (see
 * `withResolvedUrls`). The hash covers the files as copied and `extra` (the base images).
 */
export async function writeContext(repoRoot: string, dir: string, o: { offlineLock: boolean; extra: readonly string[] }): Promise<BuildContext> {
  const files = await contextFiles(repoRoot);
  const hash = createHash('sha256');
  for (const file of files) {
    const target = join(dir, file);
    await mkdir(dirname(target), { recursive: true });
    if (file === 'package-lock.json' && o.offlineLock) {
      await writeFile(target, withResolvedUrls(await readFile(join(repoRoot, file), 'utf8')));
    } else {
      await copyFile(join(repoRoot, file), target);
    }
    hash.update(`${relative(dir, target)}\0`).update(await readFile(target)).update('\0');
  }
  for (const e of o.extra) hash.update(`${e}\0`);
  return { dir, files, sourceHash: hash.digest('hex').slice(0, 16) };
}
