/**
 * `podipc k8s render --out DIR`: write the manifests a kind run would apply, for reading
 * and review, from the same case matrix and renderer the kind placement uses. Run 0 of
 * each pair is written (other runs differ only in the run number); the namespace and
 * names use the fixed run tag `review`, so the output is reproducible. Every object is
 * checked against the Kubernetes API schema and the restricted Pod Security profile.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stderr, stdout } from 'node:process';
import { allSelections } from '../selection.js';
import { DEFAULT_SIZES, parseBytes, parseMechanisms, parseSizes, PROFILES } from '../config.js';
import { buildMatrix, capabilityOffer, planCases } from '../matrix.js';
import { kindPlacement } from '../placements/kind.js';
import type { PairSpec } from '../plan.js';
import type { ProbeKind, Topology } from '../../core/vocabulary.js';
import { DEFAULT_IMAGE } from '../k8s/names.js';
import { pairInput, RAISED_IPC_LIMITS, renderRun, toYaml, type PairInput, type RenderOptions, type RenderedRun } from '../k8s/render.js';
import { podSecurityReport, validateSchemas } from '../k8s/validate.js';

export const RENDER_RUN_TAG = 'review';

export const K8S_USAGE = `Usage: podipc k8s render --out DIR [options]

Writes the Kubernetes manifests of a kind run to DIR: 00-namespace.yaml, same-pod/*.yaml
(one pod per mechanism/variant), cross-pod/*.yaml (two pods and a headless Service per
network mechanism). Each is validated against the Kubernetes API schema and the
restricted Pod Security profile.

  --out DIR               where to write (created if missing)
  --quick                 the smoke suite's budgets in the plans
  --mechanisms LIST       as for podipc run (default: all)
  --sizes LIST            as for podipc run (default 64,1KiB,16KiB,256KiB,1MiB)
  --probes LIST           latency,throughput
  --topology LIST         same-pod,cross-pod
  --raise-ipc-limits      set unsafe IPC sysctls (fs.mqueue.*, kernel.msg*) in pods of IPC mechanisms
  --dev-shm-mib N         mount an N MiB emptyDir {medium: Memory} at /dev/shm in pods that use it
  --guaranteed            Guaranteed QoS (whole CPUs, requests = limits) for the static CPU manager
  --cpu-limit CORES       per-container CPU limit
  --memory BYTES          per-container memory limit (default 512MiB)
  --image NAME:TAG        probe image (default ${DEFAULT_IMAGE})`;

const options = {
  out: { type: 'string' },
  quick: { type: 'boolean' },
  mechanisms: { type: 'string' },
  sizes: { type: 'string' },
  probes: { type: 'string' },
  topology: { type: 'string' },
  'raise-ipc-limits': { type: 'boolean' },
  'dev-shm-mib': { type: 'string' },
  guaranteed: { type: 'boolean' },
  'cpu-limit': { type: 'string' },
  memory: { type: 'string' },
  image: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class RenderUsageError extends Error {}

function list<T extends string>(flag: string, text: string | undefined, allowed: readonly T[]): T[] {
  if (text === undefined) return [...allowed];
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) throw new RenderUsageError(`--${flag}: '${item}' is not one of ${allowed.join(', ')}.`);
  if (items.length === 0) throw new RenderUsageError(`--${flag}: empty list; use one or more of ${allowed.join(', ')}.`);
  return items as T[];
}

function positive(flag: string, text: string, integer: boolean): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new RenderUsageError(`--${flag}: '${text}' is not a positive ${integer ? 'whole ' : ''}number`);
  return n;
}

export interface RenderRequest {
  out: string;
  pairs: PairInput[];
  options: RenderOptions;
}

/** Flags -> what to render. Throws RenderUsageError naming the flag. Exported for tests. */
export function parseRenderArgs(argv: readonly string[]): RenderRequest | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new RenderUsageError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}. Run 'podipc k8s render --help' for the flags.`);
  }
  if (values.help) return undefined;
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const out = str('out');
  if (!out) throw new RenderUsageError("--out DIR is required: where to write the manifests, e.g. 'podipc k8s render --out /tmp/k'");
  let selections;
  let sizes;
  try {
    selections = str('mechanisms') !== undefined ? parseMechanisms(str('mechanisms')!) : allSelections();
    sizes = str('sizes') !== undefined ? parseSizes(str('sizes')!) : DEFAULT_SIZES;
  } catch (err) {
    throw new RenderUsageError((err as Error).message);
  }
  const probes = list<ProbeKind>('probes', str('probes'), ['latency', 'throughput']);
  const topologies = list<Topology>('topology', str('topology'), ['same-pod', 'cross-pod']);
  const memory = str('memory');
  let memoryBytes: number | undefined;
  if (memory !== undefined) {
    memoryBytes = parseBytes(memory);
    if (memoryBytes === undefined || memoryBytes < 16 * 1_048_576) throw new RenderUsageError(`--memory: '${memory}' is not a memory limit of at least 16MiB; e.g. --memory 256MiB`);
  }
  const image = str('image') ?? DEFAULT_IMAGE;
  if (!/^[^\s:]+:[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(image)) throw new RenderUsageError(`--image: '${image}' needs a tag, e.g. --image podipc-probe:local`);

  const profile = values.quick ? PROFILES.quick : PROFILES.full;
  const budget = { warmupMs: profile.warmupMs, warmupRoundTrips: profile.warmupRoundTrips, measureMs: profile.measureMs, setupTimeoutMs: 10_000 };
  const matrix = buildMatrix({ selections, probes, sizes, topologies, runtimes: ['node'] }, [capabilityOffer(kindPlacement)]);
  const pairs = matrix.groups.map((group): PairInput => {
    const spec: PairSpec = { mechanism: group.mechanism, variant: group.variant, runtime: group.runtime, topology: group.topology, run: 0, cases: planCases(matrix, group), budget };
    return pairInput(spec);
  });
  return {
    out,
    pairs,
    options: {
      runTag: RENDER_RUN_TAG,
      sysvSlot: 0,
      image,
      imagePullPolicy: 'Never',
      ipcLimits: values['raise-ipc-limits'] ? RAISED_IPC_LIMITS : undefined,
      devShmBytes: str('dev-shm-mib') !== undefined ? positive('dev-shm-mib', str('dev-shm-mib')!, true) * 1_048_576 : undefined,
      resources: {
        guaranteed: Boolean(values.guaranteed),
        cpu: str('cpu-limit') !== undefined ? positive('cpu-limit', str('cpu-limit')!, false) : undefined,
        memoryBytes,
      },
    },
  };
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

export async function k8sCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    stdout.write(K8S_USAGE + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'render') {
    stderr.write(`podipc: unknown k8s command '${sub}'. Use 'podipc k8s render --out DIR'.\n`);
    return 2;
  }
  let request: RenderRequest | undefined;
  try {
    request = parseRenderArgs(rest);
  } catch (err) {
    if (!(err instanceof RenderUsageError)) throw err;
    stderr.write(`podipc: ${err.message}\n`);
    return 2;
  }
  if (!request) {
    stdout.write(K8S_USAGE + '\n');
    return 0;
  }
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
  stdout.write(`podipc: wrote ${files.size} files to ${out}: 00-namespace.yaml, ${same} same-pod pair(s) in same-pod/, ${cross} cross-pod pair(s) in cross-pod/\n`);
  if (schema.available) {
    stdout.write(`podipc: Kubernetes API schema: ${schema.checked - schema.errors.length}/${schema.checked} objects valid\n`);
  } else {
    stdout.write('podipc: Kubernetes API schema: not checked (kubernetes-models is a dev dependency; run `npm ci` without --omit=dev)\n');
  }
  const podCount = security.restricted.length + security.withExceptions.length + security.undeclared.length;
  stdout.write(`podipc: Pod Security 'restricted': ${security.restricted.length}/${podCount} pods comply`);
  stdout.write(security.withExceptions.length ? `; with named exceptions: ${security.withExceptions.join(', ')}\n` : '\n');
  for (const e of schema.errors) stderr.write(`podipc: schema error: ${e}\n`);
  for (const u of security.undeclared) stderr.write(`podipc: pod security violation: ${u}\n`);
  return schema.errors.length > 0 || security.undeclared.length > 0 ? 1 : 0;
}
