/**
 * `podipc image build`: the probe image from k8s/Dockerfile, with podman or docker.
 *
 *   offline (default): make the base images here (offline-base.ts) unless they exist,
 *     then build with --network none: nothing is pulled and nothing is fetched.
 *   official: the Dockerfile's own defaults (node:24-bookworm, node:24-bookworm-slim),
 *     pulled by the engine; npm ci fetches from the registry.
 *
 * Either way the build context is a clean copy of the sources (context.ts), the image is
 * labelled with the podipc version, the git commit and a hash of the sources, and a tree
 * whose hash matches the existing image's is not rebuilt. Builds keep no intermediate
 * images (podman --layers=false): a build leaves the image it was asked for, plus the base
 * images (reused by the next build; `podipc image clean` removes everything podipc made).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSteps, type StepsResult } from '../placements/kind/exec.js';
import { askEngine, findOnPath } from '../placements/kind/prereq.js';
import type { RunStep, Step } from '../placements/kind/steps.js';
import { PrerequisiteError } from '../availability.js';
import { PACKAGE_ROOT } from '../paths.js';
import { toolInfo } from '../version.js';
import { DOCKERFILE, fillNpmCache, lockedTarballs, sha512Integrity, writeContext } from './context.js';
import { engineArgv, podmanAdaptation, readHostLimits, type Engine, type EngineId } from './engine.js';
import {
  baseTag,
  BUILDER_NPMRC,
  DEFAULT_DEBIAN_MIRROR,
  depsBuildStep,
  DEPS_CONTAINERFILE,
  depsTag,
  fetchNodePlan,
  importStep,
  MADE_BY_LABEL,
  MADE_BY_VALUE,
  NODE_PACKAGE,
  NPM_PACKAGE,
  packageTarball,
  paths,
  ROLE_LABEL,
  rootfsStep,
  unpackPlan,
  USER_HOOK,
  type BaseRole,
  type Workspace,
} from './offline-base.js';

/** The checkout: the sources of the build context. */
export const REPO_ROOT = PACKAGE_ROOT;

export const OFFICIAL_BASES = { builder: 'node:24-bookworm', runtime: 'node:24-bookworm-slim' } as const;
export const SOURCE_LABEL = 'dev.podipc.source';

export type BaseKind = 'offline' | 'official';

export interface ImageBuildRequest {
  engine: EngineId;
  base: BaseKind;
  tag: string;
  mirror: string;
  /** Build even when the image's source label matches. */
  force: boolean;
  /** Make the offline bases again even when they exist. */
  rebuildBases: boolean;
}

export const DEFAULT_REQUEST: Omit<ImageBuildRequest, 'engine'> = {
  base: 'offline',
  tag: 'podipc-probe:local',
  mirror: DEFAULT_DEBIAN_MIRROR,
  force: false,
  rebuildBases: false,
};

export interface ImageBuildResult {
  tag: string;
  imageId: string;
  /** False when the existing image already had these sources. */
  built: boolean;
  bases: { builder: string; runtime: string };
  /** Bases made by this build (others existed). */
  madeBases: string[];
  user: string;
  sourceHash: string;
  timings: { basesMs: number; imageMs: number; totalMs: number };
}

export interface ImageIo {
  log: (line: string) => void;
  signal?: AbortSignal | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

/** A build that could not start (missing tool, unreachable engine): exit 2 with the fix. */
export class ImagePrerequisiteError extends PrerequisiteError {
  override name = 'ImagePrerequisiteError';
}

function checked(result: StepsResult, what: string): StepsResult {
  if (result.interrupted) throw new Error(`${what}: interrupted`);
  if (result.failure) throw new Error(result.failure);
  return result;
}

/**
 * The engine with the environment its commands need. podman gets podipc's containers.conf
 * where this host needs one (engine.ts); docker is used as DOCKER_HOST / the context says.
 */
export async function prepareEngine(id: EngineId, workDir: string, io: ImageIo, sysctls: readonly string[] = []): Promise<Engine> {
  const env = io.env ?? process.env;
  if (!findOnPath(id, env)) {
    throw new ImagePrerequisiteError(
      id === 'podman'
        ? 'podman is not on PATH: install it (Debian/Ubuntu: apt-get install podman runc catatonit uidmap), or use --engine docker'
        : 'docker is not on PATH: install Docker Engine (Debian/Ubuntu: apt-get install docker.io), or use --engine podman',
    );
  }
  if (id === 'docker') {
    const engine = await askEngine('docker', env);
    if (!engine.ok) throw new ImagePrerequisiteError(`no Docker engine is reachable (\`docker info\` says: ${engine.error}): start it, or point DOCKER_HOST at one`);
    return { id, command: ['docker'], env };
  }
  const adaptation = podmanAdaptation(readHostLimits(env), sysctls);
  if (adaptation.problem) throw new ImagePrerequisiteError(adaptation.problem);
  io.log(adaptation.summary);
  if (!adaptation.containersConf) return { id, command: ['podman'], env };
  const conf = join(workDir, 'containers.conf');
  await writeFile(conf, adaptation.containersConf);
  return { id, command: ['podman'], env: { ...env, CONTAINERS_CONF: conf } };
}

async function imageExists(engine: Engine, tag: string): Promise<boolean> {
  const r = await runSteps([{ kind: 'run', purpose: `look for ${tag}`, argv: engineArgv(engine, 'image', 'inspect', '--format', '{{.Id}}', tag), timeoutMs: 60_000, capture: 'image-id', optional: true }], { env: engine.env });
  return r.notes.length === 0 && Boolean(r.captures['image-id']?.trim());
}

async function verifyPackage(w: Workspace, p: { name: string; version: string; integrity: string }): Promise<void> {
  const got = sha512Integrity(await readFile(packageTarball(w, p)));
  if (got !== p.integrity) throw new Error(`${p.name}@${p.version} from the npm registry has integrity ${got}, not the pinned ${p.integrity}; refusing to build a base from it`);
}

async function ensureBases(engine: Engine, w: Workspace, req: ImageBuildRequest, io: ImageIo): Promise<{ builder: string; runtime: string; made: string[] }> {
  const log = (l: string): void => io.log(`image: ${l}`);
  const tags = { builder: baseTag({ role: 'builder', mirror: req.mirror }), runtime: baseTag({ role: 'runtime', mirror: req.mirror }) };
  const missing: BaseRole[] = [];
  for (const role of ['builder', 'runtime'] as const) {
    if (req.rebuildBases || !(await imageExists(engine, tags[role]))) missing.push(role);
    else log(`using the ${role} base ${tags[role]}`);
  }
  const made: string[] = [];
  if (missing.length > 0) {
    if (!findOnPath('mmdebstrap', io.env ?? process.env)) {
      throw new ImagePrerequisiteError(
        'the offline base images are made with mmdebstrap, which is not on PATH: install it (apt-get install mmdebstrap), or build from the official Node images with --base official where they can be pulled',
      );
    }
    const p = paths(w);
    await writeFile(p.npmrc, BUILDER_NPMRC);
    await writeFile(p.passwd, USER_HOOK);
    // Node and npm once, checked against the pinned integrity, then both root filesystems
    // in parallel (mmdebstrap mostly waits for the mirror).
    checked(await runSteps(fetchNodePlan(w, 'builder'), { log, signal: io.signal, env: io.env }), 'fetching Node and npm');
    await verifyPackage(w, NODE_PACKAGE);
    await verifyPackage(w, NPM_PACKAGE);
    checked(await runSteps(unpackPlan(w, 'builder'), { signal: io.signal, env: io.env }), 'unpacking Node and npm');
    const rootfs = await Promise.all(missing.map((role) => runSteps([rootfsStep(w, { role, mirror: req.mirror })], { log, signal: io.signal, env: io.env })));
    rootfs.forEach((r, i) => checked(r, `making the ${missing[i]} root filesystem`));
    for (const role of missing) {
      checked(await runSteps([importStep(engine, w, role, tags[role])], { log, signal: io.signal, env: engine.env }), `importing the ${role} base`);
      await rm(p.rootfs(role), { force: true });
      made.push(tags[role]);
    }
  }

  // The lockfile's packages, in the builder's npm cache: a layer per lockfile.
  const lock = await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8');
  const tarballs = lockedTarballs(lock);
  const deps = depsTag(tags.builder, tarballs.map((t) => t.integrity));
  if (req.rebuildBases || made.includes(tags.builder) || !(await imageExists(engine, deps))) {
    const p = paths(w);
    await mkdir(p.tarballs, { recursive: true });
    const pack: RunStep = {
      kind: 'run',
      purpose: `fetch the ${tarballs.length} locked npm packages (npm's cache first, then the registry)`,
      argv: ['npm', 'pack', '--prefer-offline', '--silent', '--ignore-scripts', '--pack-destination', p.tarballs, ...tarballs.map((t) => `${t.name}@${t.version}`)],
      timeoutMs: 600_000,
    };
    checked(await runSteps([pack], { log, signal: io.signal, env: io.env }), 'fetching the npm packages');
    await mkdir(p.depsContext, { recursive: true });
    await fillNpmCache(p.tarballs, join(p.depsContext, 'npm-cache'), tarballs);
    await writeFile(join(p.depsContext, 'Containerfile'), DEPS_CONTAINERFILE(tags.builder));
    checked(await runSteps([depsBuildStep(engine, w, deps)], { log, signal: io.signal, env: engine.env }), 'adding the npm packages to the builder');
    await rm(p.tarballs, { recursive: true, force: true });
    made.push(deps);
  } else {
    log(`using the builder's npm packages ${deps}`);
  }
  return { builder: deps, runtime: tags.runtime, made };
}

/** The probe image's build command. */
export function probeBuildStep(engine: Engine, o: { contextDir: string; tag: string; builder: string; runtime: string; offline: boolean; version: string; commit: string; sourceHash: string }): RunStep {
  return {
    kind: 'run',
    purpose: `build the probe image ${o.tag} (k8s/Dockerfile, ${engine.id}${o.offline ? ', --network none' : ''})`,
    argv: engineArgv(
      engine,
      'build',
      ...(o.offline ? ['--network', 'none'] : []),
      // No intermediate images left behind (podman keeps one per step by default).
      ...(engine.id === 'podman' ? ['--layers=false'] : ['--force-rm']),
      '--file',
      join(o.contextDir, DOCKERFILE),
      '--build-arg',
      `BUILDER=${o.builder}`,
      '--build-arg',
      `BASE=${o.runtime}`,
      '--build-arg',
      `PODIPC_VERSION=${o.version}`,
      '--build-arg',
      `PODIPC_COMMIT=${o.commit}`,
      '--label',
      `${MADE_BY_LABEL}=${MADE_BY_VALUE}`,
      '--label',
      `${ROLE_LABEL}=probe`,
      '--label',
      `${SOURCE_LABEL}=${o.sourceHash}`,
      '--tag',
      o.tag,
      o.contextDir,
    ),
    timeoutMs: 1_800_000,
  };
}

function inspectStep(engine: Engine, tag: string, format: string, capture: 'image-source' | 'image-config'): Step {
  return { kind: 'run', purpose: `inspect ${tag}`, argv: engineArgv(engine, 'image', 'inspect', '--format', format, tag), timeoutMs: 60_000, capture, optional: true };
}

/** Build the probe image; throws (ImagePrerequisiteError for exit 2) with the failing step. */
export async function buildImage(req: ImageBuildRequest, io: ImageIo): Promise<ImageBuildResult> {
  const t0 = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'podipc-image-'));
  const w: Workspace = { dir };
  try {
    const engine = await prepareEngine(req.engine, dir, io);
    const offline = req.base === 'offline';
    const bases = offline ? await ensureBases(engine, w, req, io) : { ...OFFICIAL_BASES, made: [] };
    const tBases = Date.now();
    const tool = toolInfo();
    const context = await writeContext(REPO_ROOT, join(dir, 'context'), { offlineLock: offline, extra: [bases.builder, bases.runtime, engine.id, tool.version] });

    const existing = await runSteps([inspectStep(engine, req.tag, `{{index .Config.Labels "${SOURCE_LABEL}"}}`, 'image-source')], { env: engine.env });
    const upToDate = !req.force && existing.captures['image-source']?.trim() === context.sourceHash;
    if (upToDate) {
      io.log(`image: ${req.tag} is up to date (sources ${context.sourceHash} unchanged); --force rebuilds it`);
    } else {
      const step = probeBuildStep(engine, { contextDir: context.dir, tag: req.tag, builder: bases.builder, runtime: bases.runtime, offline, version: tool.version, commit: tool.gitCommit, sourceHash: context.sourceHash });
      checked(await runSteps([step], { log: (l) => io.log(`image: ${l}`), signal: io.signal, env: engine.env }), 'building the probe image');
    }
    const tImage = Date.now();
    const config = await runSteps([inspectStep(engine, req.tag, '{{.Id}} {{.Config.User}}', 'image-config')], { env: engine.env });
    const [imageId = '', user = ''] = (config.captures['image-config'] ?? '').trim().split(/\s+/);
    if (!imageId) throw new Error(`the build finished but ${req.tag} cannot be inspected: ${config.notes.join('; ')}`);
    if (!user || user === '0' || user.startsWith('0:') || user === 'root') throw new Error(`${req.tag} runs as '${user || 'root'}', not a non-root user: k8s/Dockerfile must end with USER 1000:1000`);
    return {
      tag: req.tag,
      imageId,
      built: !upToDate,
      bases: { builder: bases.builder, runtime: bases.runtime },
      madeBases: bases.made,
      user,
      sourceHash: context.sourceHash,
      timings: { basesMs: tBases - t0, imageMs: tImage - tBases, totalMs: Date.now() - t0 },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every image podipc made (the probe image, the bases), by label. */
export function listMadeImagesStep(engine: Engine): RunStep {
  return {
    kind: 'run',
    purpose: 'list the images podipc made',
    argv: engineArgv(engine, 'images', '--filter', `label=${MADE_BY_LABEL}=${MADE_BY_VALUE}`, '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'),
    timeoutMs: 60_000,
    capture: 'image-id',
  };
}
