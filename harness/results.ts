/**
 * results.json: versioned, self-describing, validated on read. Readers reject unknown
 * schema versions naming the file and both versions (hyperfine's silent JSON change is the
 * cautionary tale).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  caseStatus,
  cpuSchema,
  formatZodError,
  integritySchema,
  latencyNsSchema,
  probeLineSchema,
  throughputSchema,
} from '../bench/protocol.js';

export const SCHEMA_VERSION = 1;

/** One run: what the client's result line measured, plus which process pair it was. */
const runSchema = probeLineSchema
  .pick({ status: true, reason: true, latencyNs: true, samples: true, throughput: true, elapsedNs: true, cpu: true, integrity: true })
  .extend({
    /** Index of the independent process pair, from 0. */
    run: z.number().int().nonnegative(),
  });

export const caseSchema = z.object({
  mechanism: z.string().min(1),
  variant: z.string().min(1).optional(),
  probe: z.enum(['latency', 'throughput']),
  messageBytes: z.number().int().positive(),
  topology: z.enum(['same-pod', 'cross-pod']),
  status: caseStatus,
  reason: z.string().optional(),
  runs: z.array(runSchema),
  /**
   * Aggregates over the ok runs: each percentile is the median of the runs' values, max is
   * the largest, mean the mean of run means, stddev the pooled standard deviation.
   */
  latencyNs: latencyNsSchema.optional(),
  /** Median over the ok runs. */
  throughput: throughputSchema.optional(),
  /** Median over the ok runs, per side. */
  cpu: cpuSchema.optional(),
  /** Sums over all runs. */
  integrity: integritySchema.optional(),
  limits: z.record(z.number()).optional(),
});

export const envSchema = z
  .object({
    kernel: z.string(),
    cpuModel: z.string(),
    cores: z.number().int().positive(),
    nodeVersion: z.string(),
    placement: z.enum(['process', 'sandbox', 'kind']),
    hostname: z.string().optional(),
    k8sVersion: z.string().optional(),
  })
  // Placements add what they know (the sandbox's boundary check, the kind node, pinning).
  .passthrough();

export const resultFileSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  tool: z.object({ name: z.literal('podipc'), version: z.string(), gitCommit: z.string() }),
  env: envSchema,
  config: z.record(z.unknown()),
  startedAt: z.string().datetime(),
  finishedAt: z.string().datetime(),
  cases: z.array(caseSchema),
});

export type ResultFile = z.infer<typeof resultFileSchema>;
export type CaseResult = z.infer<typeof caseSchema>;
export type RunResult = z.infer<typeof runSchema>;
export type Env = z.infer<typeof envSchema>;

/** The key that identifies a case across result files (compare, charts). */
export function caseKey(c: Pick<CaseResult, 'mechanism' | 'variant' | 'probe' | 'messageBytes' | 'topology'>): string {
  return `${mechanismLabel(c)} ${c.probe} ${c.messageBytes}B ${c.topology}`;
}

/** "shm-posix/futex", or just "tcp". */
export function mechanismLabel(c: { mechanism: string; variant?: string | undefined }): string {
  return c.variant ? `${c.mechanism}/${c.variant}` : c.mechanism;
}

export class ResultFileError extends Error {}

/** Validate a parsed results object; `source` names the file in errors. */
export function parseResultFile(input: unknown, source: string): ResultFile {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ResultFileError(`${source} is not a podipc results file (expected a JSON object).`);
  }
  const version = (input as { schemaVersion?: unknown }).schemaVersion;
  if (version === undefined) {
    throw new ResultFileError(`${source} has no schemaVersion: it is not a podipc results file (podipc writes DIR/results.json).`);
  }
  if (version !== SCHEMA_VERSION) {
    throw new ResultFileError(
      `${source} has schemaVersion ${JSON.stringify(version)}, but this podipc reads schemaVersion ${SCHEMA_VERSION}. ` +
        `Re-run the benchmark with this version, or use the podipc version that wrote the file.`,
    );
  }
  const parsed = resultFileSchema.safeParse(input);
  if (!parsed.success) throw new ResultFileError(`${source} is not a valid podipc results file: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

export async function readResultFile(path: string): Promise<ResultFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ResultFileError(
      code === 'ENOENT'
        ? `${path} does not exist. Pass a results.json written by 'podipc run' (it lands in results/<timestamp>/).`
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
