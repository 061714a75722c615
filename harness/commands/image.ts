/**
 * `podipc image build|clean`: build the probe image without a registry (the default), or
 * remove every image podipc made.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrerequisiteError } from '../availability.js';
import type { CommandIo } from '../command-io.js';
import { choice } from '../flag-values.js';
import { switchFlag, UsageError, valueFlag } from '../flags.js';
import { buildImage, DEFAULT_REQUEST, ImagePrerequisiteError, listMadeImagesStep, OFFICIAL_BASES, prepareEngine, type BaseKind, type ImageBuildRequest } from '../image/build.js';
import { defaultEngine, engineArgv, ENGINES, type EngineId } from '../image/engine.js';
import { DEBIAN_SUITE, NODE_PACKAGE } from '../image/offline-base.js';
import { runSteps } from '../placements/kind/exec.js';
import { defineCommand } from './command.js';

const BASES = ['offline', 'official'] as const satisfies readonly BaseKind[];

const engineFlag = valueFlag({
  metavar: ENGINES.join('|'),
  help: 'the container engine',
  defaultText: 'podman when installed, else docker',
  parse: (t, f) => choice(f, t, ENGINES),
});

/** The engine asked for, or the one installed; a PrerequisiteError (exit 2) naming the package when there is none. */
export function resolveEngine(asked: EngineId | undefined, env: NodeJS.ProcessEnv): EngineId {
  const engine = asked ?? defaultEngine(env);
  if (engine === undefined) throw new PrerequisiteError('neither podman nor docker is on PATH: install one (Debian/Ubuntu: apt-get install podman runc catatonit uidmap)');
  return engine;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export const IMAGE_BUILD_FLAGS = {
  engine: engineFlag,
  base: valueFlag({
    metavar: BASES.join('|'),
    help:
      `offline: no registry - podipc makes the base images itself (Debian ${DEBIAN_SUITE} from the Debian mirror with mmdebstrap, Node ${NODE_PACKAGE.version} from the npm package ${NODE_PACKAGE.name}, ` +
      `the locked npm packages in the builder's cache) and builds with --network none, keeping the bases for the next build; official: FROM ${OFFICIAL_BASES.builder} / ${OFFICIAL_BASES.runtime}, pulled by the engine`,
    default: DEFAULT_REQUEST.base as BaseKind,
    parse: (t, f) => choice(f, t, BASES),
  }),
  tag: valueFlag({
    metavar: 'NAME:TAG',
    help: 'the image to build',
    default: DEFAULT_REQUEST.tag,
    parse: (t, f) => {
      if (!/^[a-z0-9][a-z0-9._\-/]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(t)) throw new UsageError(`--${f}: '${t}' is not NAME:TAG in lowercase, e.g. --${f} podipc-probe:local`);
      return t;
    },
  }),
  'debian-mirror': valueFlag({
    metavar: 'URL',
    help: 'the Debian mirror for the offline bases (a snapshot.debian.org URL pins the packages)',
    default: DEFAULT_REQUEST.mirror,
    parse: (t, f) => {
      if (!/^(https?|file):\/\/\S+$/.test(t)) throw new UsageError(`--${f}: '${t}' is not a URL, e.g. --${f} ${DEFAULT_REQUEST.mirror}`);
      return t;
    },
  }),
  force: switchFlag('rebuild even if the image was built from these sources'),
  'rebuild-bases': switchFlag('make the offline bases again'),
} as const;

export const imageBuildCommand = defineCommand({
  name: 'image build',
  summary: 'Build the probe image (Node probe and native probe, user 1000) from k8s/Dockerfile with podman or docker; offline (the default) needs no registry.',
  flags: IMAGE_BUILD_FLAGS,
  notes: ['Exit codes: 0 built or kept, 1 the build failed, 2 bad usage or no engine, 130 interrupted.'],
  async run({ flags }, io) {
    const env = process.env;
    const request: ImageBuildRequest = {
      engine: resolveEngine(flags.engine, env),
      base: flags.base,
      tag: flags.tag,
      mirror: flags['debian-mirror'],
      force: flags.force,
      rebuildBases: flags['rebuild-bases'],
    };
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const result = await buildImage(request, { log: (l) => io.stderr(`podipc: ${l}\n`), signal: controller.signal, env });
      const bases =
        request.base === 'offline'
          ? `offline bases ${result.bases.builder}, ${result.bases.runtime}${result.madeBases.length ? ` (made now: ${result.madeBases.length})` : ' (existing)'}`
          : `official bases ${result.bases.builder}, ${result.bases.runtime}`;
      io.stdout(
        `podipc: ${result.built ? 'built' : 'kept'} ${result.tag} (${result.imageId.slice(0, 19)}) with ${request.engine}, ${bases}; runs as user ${result.user}\n` +
          `podipc: took ${seconds(result.timings.totalMs)}: bases ${seconds(result.timings.basesMs)}, probe image ${seconds(result.timings.imageMs)}\n`,
      );
      return 0;
    } catch (err) {
      if (err instanceof ImagePrerequisiteError) throw new PrerequisiteError(`image build: ${err.message}`);
      io.stderr(`podipc: image build failed: ${(err as Error).message}\n`);
      return controller.signal.aborted ? 130 : 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});

export const imageCleanCommand = defineCommand({
  name: 'image clean',
  summary: 'Remove every image podipc made (label dev.podipc.made-by=podipc): probe images and offline bases.',
  flags: { engine: engineFlag },
  async run({ flags }, io) {
    const engineId = resolveEngine(flags.engine, process.env);
    const dir = await mkdtemp(join(tmpdir(), 'podipc-image-'));
    try {
      const engine = await prepareEngine(engineId, dir, { log: () => {}, env: process.env });
      const listed = await runSteps([listMadeImagesStep(engine)], { env: engine.env });
      if (listed.failure) throw new Error(listed.failure);
      const images = (listed.captures['image-id'] ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
      if (images.length === 0) {
        io.stdout(`podipc: ${engine.id} holds no image podipc made\n`);
        return 0;
      }
      // Newest first (the engine lists them so): a probe image goes before the base it is built on.
      const ids = [...new Set(images.map((l) => l.split(' ')[0]!))];
      const removed = await runSteps([{ kind: 'run', purpose: `remove ${ids.length} images`, argv: engineArgv(engine, 'rmi', '--force', ...ids), timeoutMs: 300_000 }], { env: engine.env });
      if (removed.failure) throw new Error(removed.failure);
      io.stdout(`podipc: removed from ${engine.id}: ${images.map((l) => l.split(' ')[1]).join(', ')}\n`);
      return 0;
    } catch (err) {
      if (err instanceof ImagePrerequisiteError) throw new PrerequisiteError(`image clean: ${err.message}`);
      io.stderr(`podipc: image clean: ${(err as Error).message}\n`);
      return 1;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
