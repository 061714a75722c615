/**
 * `podipc k8s render --out DIR`: write the manifests a kind run would apply, for reading
 * and review, from the same case matrix and renderer the kind placement uses. Run 0 of
 * each pair is written (other runs differ only in the run number); the namespace and
 * names use the fixed run tag `review`, so the output is reproducible. Every object is
 * checked against the Kubernetes API schema and the restricted Pod Security profile.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TOPOLOGIES } from '../../core/vocabulary.js';
import { DEFAULT_PROBES, DEFAULT_RATES, DEFAULT_SIZES, PROFILES, RUN_FLAGS } from '../config.js';
import { count, memoryBytes } from '../flag-values.js';
import { parseFlags, switchFlag, UsageError, valueFlag, type FlagValues } from '../flags.js';
import { buildMatrix, capabilityOffer, planCases } from '../matrix.js';
import { kindPlacement } from '../placements/kind.js';
import type { PairSpec } from '../plan.js';
import { DEFAULT_IMAGE } from '../k8s/names.js';
import { pairInput, RAISED_IPC_LIMITS, renderRun, toYaml, type PairInput, type RenderOptions, type RenderedRun } from '../k8s/render.js';
import { podSecurityReport, validateSchemas } from '../k8s/validate.js';
import { defineCommand } from './command.js';

export const RENDER_RUN_TAG = 'review';

/** `podipc k8s render`: the run flags that shape a plan, and the pod-spec knobs of the renderer. */
const RENDER_FLAGS = {
  out: valueFlag({ metavar: 'DIR', help: 'where to write (created if missing; required)', parse: (t) => t }),
  quick: RUN_FLAGS.quick,
  mechanisms: RUN_FLAGS.mechanisms,
  sizes: RUN_FLAGS.sizes,
  probes: RUN_FLAGS.probes,
  rates: RUN_FLAGS.rates,
  burst: RUN_FLAGS.burst,
  topology: RUN_FLAGS.topology,
  runtime: RUN_FLAGS.runtime,
  'raise-ipc-limits': switchFlag('set unsafe IPC sysctls (fs.mqueue.*, kernel.msg*) in pods of IPC mechanisms'),
  'dev-shm-mib': valueFlag({ metavar: 'N', help: 'mount an N MiB emptyDir {medium: Memory} at /dev/shm in pods that use it', parse: (t, f) => count(f, t, '128') }),
  guaranteed: switchFlag('Guaranteed QoS (whole CPUs, requests = limits) for the static CPU manager'),
  'cpu-limit': RUN_FLAGS['cpu-limit'],
  memory: valueFlag({ metavar: 'BYTES', help: 'per-container memory limit', defaultText: '512MiB', parse: (t, f) => memoryBytes(f, t) }),
  image: valueFlag({
    metavar: 'NAME:TAG',
    help: 'probe image',
    default: DEFAULT_IMAGE,
    parse: (t, f) => {
      if (!/^[^\s:]+:[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(t)) throw new UsageError(`--${f}: '${t}' needs a tag, e.g. --${f} podipc-probe:local`);
      return t;
    },
  }),
} as const;

export interface RenderRequest {
  out: string;
  pairs: PairInput[];
  options: RenderOptions;
}

/** Parsed flags -> what to render. Throws UsageError naming the flag. */
function renderRequest(flags: FlagValues<typeof RENDER_FLAGS>): RenderRequest {
  if (!flags.out) throw new UsageError("--out DIR is required: where to write the manifests, e.g. 'podipc k8s render --out /tmp/k'");
  const profile = flags.quick ? PROFILES.quick : PROFILES.full;
  const budget = { warmupMs: profile.warmupMs, warmupRoundTrips: profile.warmupRoundTrips, measureMs: profile.measureMs, setupTimeoutMs: 10_000 };
  const sizes = flags.sizes ?? (flags.quick ? [...PROFILES.quick.sizes] : DEFAULT_SIZES);
  const topologies = flags.topology.filter((t) => (TOPOLOGIES as readonly string[]).includes(t));
  const probes = flags.probes ?? (flags.rates ? [...DEFAULT_PROBES, 'rate' as const] : [...DEFAULT_PROBES]);
  if (flags.burst !== undefined && !probes.includes('rate')) {
    throw new UsageError(`--burst is for the rate probe, but --probes ${probes.join(',')} leaves it out: add --rates (or --probes ${[...probes, 'rate'].join(',')}), e.g. --rates 10k --burst ${flags.burst}`);
  }
  const burst = flags.burst !== undefined && flags.burst > 1 ? { burst: flags.burst } : {};
  const rate = probes.includes('rate') ? { ratesPerSec: flags.rates ?? [...(flags.quick ? DEFAULT_RATES.quick : DEFAULT_RATES.full)], ...burst } : undefined;
  const matrix = buildMatrix({ selections: flags.mechanisms, probes, sizes, topologies, runtimes: flags.runtime, ...(rate ? { rate } : {}) }, [capabilityOffer(kindPlacement)]);
  const pairs = matrix.groups.map((group): PairInput => {
    const spec: PairSpec = { runtime: group.runtime, topology: group.topology, run: 0, cases: planCases(matrix, group.caseIds, budget), budget };
    return pairInput(spec);
  });
  return {
    out: flags.out,
    pairs,
    options: {
      runTag: RENDER_RUN_TAG,
      sysvSlot: 0,
      image: flags.image,
      imagePullPolicy: 'Never',
      ipcLimits: flags['raise-ipc-limits'] ? RAISED_IPC_LIMITS : undefined,
      devShmBytes: flags['dev-shm-mib'] !== undefined ? flags['dev-shm-mib'] * 1_048_576 : undefined,
      resources: { guaranteed: flags.guaranteed, cpu: flags['cpu-limit'], memoryBytes: flags.memory },
    },
  };
}

/** `podipc k8s render` arguments -> what to render (undefined for --help). Exported for tests. */
export function parseRenderArgs(argv: readonly string[]): RenderRequest | undefined {
  const parsed = parseFlags(RENDER_FLAGS, argv, 'k8s render');
  if (parsed.help || parsed.version) return undefined;
  return renderRequest(parsed.flags);
}

const HEADER = (what: string): string =>
  `${what}\nRendered by 'podipc k8s render' from the case matrix (harness/k8s/render.ts); regenerate rather than edit.\n` +
  `A kind run applies the same objects with its own run tag in place of '${RENDER_RUN_TAG}'.`;

/** The files to write: relative path -> YAML text. Pure. */
export function renderFiles(run: RenderedRun): Map<string, string> {
  const files = new Map<string, string>();
  const enforced = run.namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce'];
  const nsWhat =
    enforced === 'restricted'
      ? "The run's namespace: Pod Security admission enforces the restricted profile."
      : "The run's namespace: restricted is warned and audited, not enforced, because this run raises unsafe sysctls (see its annotation).";
  files.set('00-namespace.yaml', toYaml([run.namespace], nsWhat));
  for (const pair of run.pairs) {
    const objects = [...pair.serverObjects, ...pair.clientObjects];
    const what =
      pair.spec.topology === 'same-pod'
        ? `Same-pod pair ${pair.id}: server and client containers in one pod.`
        : `Cross-pod pair ${pair.id}: server pod, its headless Service, then the client pod (applied once the server runs).`;
    files.set(join(pair.spec.topology, `${pair.id}.yaml`), toYaml(objects, HEADER(what)));
  }
  return files;
}

export const k8sRenderCommand = defineCommand({
  name: 'k8s render',
  summary: 'Write the Kubernetes manifests a kind run would apply, validated against the API schema and the restricted Pod Security profile.',
  details:
    'Writes 00-namespace.yaml, same-pod/*.yaml (one pod per mechanism/variant) and cross-pod/*.yaml (two pods and a headless Service per network ' +
    `mechanism), run 0 of each pair, with the fixed run tag '${RENDER_RUN_TAG}' so the output is reproducible.`,
  flags: RENDER_FLAGS,
  notes: ['Exit status: 0 written and valid, 1 a schema or Pod Security violation, 2 bad input.'],
  async run({ flags }, io) {
    const request = renderRequest(flags);
    const run = renderRun(request.pairs, request.options);
    const objects = [run.namespace, ...run.pairs.flatMap((p) => [...p.serverObjects, ...p.clientObjects])];
    const schema = await validateSchemas(objects);
    const security = podSecurityReport(objects);

    const out = resolve(request.out);
    const files = renderFiles(run);
    for (const [path, text] of files) {
      await mkdir(join(out, path, '..'), { recursive: true });
      await writeFile(join(out, path), text);
    }
    const same = run.pairs.filter((p) => p.spec.topology === 'same-pod').length;
    const cross = run.pairs.length - same;
    io.stdout(`podipc: wrote ${files.size} files to ${out}: 00-namespace.yaml, ${same} same-pod pair(s) in same-pod/, ${cross} cross-pod pair(s) in cross-pod/\n`);
    if (schema.available) {
      io.stdout(`podipc: Kubernetes API schema: ${schema.checked - schema.errors.length}/${schema.checked} objects valid\n`);
    } else {
      io.stdout('podipc: Kubernetes API schema: not checked (kubernetes-models is a dev dependency; run `npm ci` without --omit=dev)\n');
    }
    const podCount = security.restricted.length + security.withExceptions.length + security.undeclared.length;
    io.stdout(`podipc: Pod Security 'restricted': ${security.restricted.length}/${podCount} pods comply`);
    io.stdout(security.withExceptions.length ? `; with named exceptions: ${security.withExceptions.join(', ')}\n` : '\n');
    for (const e of schema.errors) io.stderr(`podipc: schema error: ${e}\n`);
    for (const u of security.undeclared) io.stderr(`podipc: pod security violation: ${u}\n`);
    return schema.errors.length > 0 || security.undeclared.length > 0 ? 1 : 0;
  },
});
