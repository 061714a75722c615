/**
 * The run's resolution: before the cases, each runtime's probe measures what it costs
 * itself per round trip at each message size (no kernel), and results.json records it in
 * `env.probeOverhead`; reports flag latencies near it (core/results.ts nearResolution).
 *
 * The Node probe does this as `node dist/bench/entrypoint.js --calibrate SIZES`, in a fresh
 * process like the probes themselves, so the harness's own heap and timers are not in it.
 * A runtime without calibration simply has no entry; a calibration that fails is logged
 * and left out - the cases still run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CALIBRATION_LINE_PREFIX } from '../bench/calibrate.js';
import { formatZodError } from '../core/protocol.js';
import { probeOverheadSchema, type ProbeOverhead } from '../core/results.js';
import type { RuntimeId } from '../core/vocabulary.js';
import { nodeProbeArgs } from './runtimes/node.js';

const run = promisify(execFile);
const CALIBRATION_TIMEOUT_MS = 60_000;

/** Parse the calibration line out of a probe's stdout. */
export function parseCalibration(stdout: string): ProbeOverhead {
  const line = stdout.split('\n').find((l) => l.startsWith(CALIBRATION_LINE_PREFIX));
  if (line === undefined) throw new Error(`the probe printed no ${CALIBRATION_LINE_PREFIX.trim()} line`);
  const parsed = probeOverheadSchema.safeParse(JSON.parse(line.slice(CALIBRATION_LINE_PREFIX.length)));
  if (!parsed.success) throw new Error(`the calibration line is malformed: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

async function calibrateNode(sizes: readonly number[]): Promise<ProbeOverhead> {
  const { stdout } = await run(process.execPath, nodeProbeArgs('--calibrate', sizes.join(',')), { timeout: CALIBRATION_TIMEOUT_MS });
  return parseCalibration(stdout);
}

/** Each runtime's entry it could measure, in the order given; `log` hears why one is missing. */
export async function measureProbeOverhead(runtimes: readonly RuntimeId[], sizes: readonly number[], log: (line: string) => void): Promise<ProbeOverhead[]> {
  const out: ProbeOverhead[] = [];
  for (const runtime of runtimes) {
    if (runtime !== 'node') continue; // the native probe records its own once it calibrates
    try {
      out.push(await calibrateNode(sizes));
    } catch (err) {
      log(`podipc: could not measure the ${runtime} probe's own overhead (reports will not flag cases near it): ${(err as Error).message}`);
    }
  }
  return out;
}
