/** `podipc recommend`: the command front end of harness/recommend/. */
import { mechanisms } from '../../bench/registry.js';
import { placementsOf } from '../../core/results.js';
import { PLACEMENTS, RUNTIMES } from '../../core/vocabulary.js';
import { serializeOne, type Exporter } from '../exporter.js';
import { bytesValue, choice, count, positiveNumber } from '../flag-values.js';
import { switchFlag, UsageError, valueFlag } from '../flags.js';
import { recommend, type Pattern, type Recommendation } from '../recommend/engine.js';
import { recommendJson } from '../recommend/format-json.js';
import { recommendText } from '../recommend/format-text.js';
import { readResultFile } from '../results-file.js';
import { defineCommand } from './command.js';

const PATTERNS: readonly Pattern[] = ['rpc', 'stream'];
const FORMATS = ['text', 'json'] as const;

export const recommendCommand = defineCommand({
  name: 'recommend',
  summary: 'Which mechanism should my two containers use? Ranks the measured mechanisms for a workload and says what each needs in the pod spec.',
  flags: {
    results: valueFlag({ metavar: 'FILE', help: "the results.json 'podipc run' wrote (required)", parse: (t) => t }),
    size: valueFlag({ metavar: 'BYTES', help: 'message size, suffixes k/KiB/M/MiB/G/GiB (required); the nearest measured size >= it is used', parse: (t, f) => bytesValue(f, t, { min: 1, example: '4KiB' }) }),
    pattern: valueFlag({ metavar: 'rpc|stream', help: 'rpc: request/response, ranked by p99 (by CPU at --rate when given); stream: one-way, ranked by CPU per byte (required)', parse: (t, f) => choice(f, t, PATTERNS) }),
    'p99-us': valueFlag({ metavar: 'US', help: 'the p99 round trip must be at most this many microseconds', parse: (t, f) => positiveNumber(f, t, { unit: 'microseconds', example: '100' }) }),
    rate: valueFlag({ metavar: 'MSGS', help: 'messages (rpc: calls) per second the workload needs; ranks by the CPU cores that rate costs', parse: (t, f) => positiveNumber(f, t, { unit: 'messages per second', example: '50000' }) }),
    'cpu-cores': valueFlag({ metavar: 'N', help: 'CPU budget in cores (client + server) at --rate: mechanisms that cost more are excluded', parse: (t, f) => positiveNumber(f, t, { unit: 'cores', example: '0.5' }) }),
    'cross-pod': switchFlag('the two sides are in different pods (only what separate pods can share; numbers of the cross-pod topology)'),
    'no-ipc-namespace': switchFlag('the two sides do not share an IPC namespace'),
    runtime: valueFlag({ metavar: RUNTIMES.join('|'), help: 'whose numbers: the native probe (the floor) or the Node probe', defaultText: 'native when the results hold ok native cases, else node', parse: (t, f) => choice(f, t, RUNTIMES) }),
    placement: valueFlag({ metavar: 'PLACEMENT', help: `whose numbers, when the results hold several placements (${PLACEMENTS.join(', ')})`, defaultText: 'the first in the file', parse: (t, f) => choice(f, t, PLACEMENTS) }),
    top: valueFlag({ metavar: 'N', help: 'how many choices to detail', default: 3, parse: (t, f) => count(f, t, '5') }),
    format: valueFlag({ metavar: FORMATS.join('|'), help: 'text for a terminal, json for tools', default: 'text', parse: (t, f) => choice(f, t, FORMATS) }),
  },
  notes: ['Exit status: 0 with a recommendation, 1 when nothing fits (the output says which constraint excluded what), 2 bad input.'],
  async run({ flags }, io) {
    if (flags.results === undefined) throw new UsageError("--results FILE is required: the results.json 'podipc run' wrote, e.g. --results results/examples/results.json");
    if (flags.size === undefined) throw new UsageError('--size BYTES is required: the message size of your workload, e.g. --size 4KiB');
    if (flags.pattern === undefined) throw new UsageError('--pattern is required: --pattern rpc (request/response) or --pattern stream (one-way)');
    if (flags['cpu-cores'] !== undefined && flags.rate === undefined) {
      throw new UsageError('--cpu-cores needs --rate: what talking costs in CPU depends on how many messages per second, e.g. --rate 1000 --cpu-cores 0.5');
    }
    const results = await readResultFile(flags.results);
    if (flags.placement !== undefined && !placementsOf(results).includes(flags.placement)) {
      throw new UsageError(`--placement ${flags.placement}: ${flags.results} holds ${placementsOf(results).join(', ')}; pick one of those`);
    }
    const r = recommend(
      results,
      {
        messageBytes: flags.size,
        pattern: flags.pattern,
        crossPod: flags['cross-pod'],
        noIpcNamespace: flags['no-ipc-namespace'],
        ...(flags['p99-us'] !== undefined ? { p99UsMax: flags['p99-us'] } : {}),
        ...(flags.rate !== undefined ? { rateMsgsPerSec: flags.rate } : {}),
        ...(flags['cpu-cores'] !== undefined ? { cpuCoresMax: flags['cpu-cores'] } : {}),
        ...(flags.runtime !== undefined ? { runtime: flags.runtime } : {}),
        ...(flags.placement !== undefined ? { placement: flags.placement } : {}),
      },
      mechanisms,
    );
    const exporter: Exporter<Recommendation> = flags.format === 'json' ? recommendJson : recommendText(flags.top);
    io.stdout(await serializeOne(exporter, r));
    return r.nothingFits ? 1 : 0;
  },
});
