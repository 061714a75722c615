/** `podipc compare BASE.json HEAD.json`: the command front end of harness/compare/. */
import type { ResultFile } from '../../core/results.js';
import { compareExitCode, compareResults, DEFAULT_COMPARE_OPTIONS } from '../compare/engine.js';
import { COMPARE_FORMATS } from '../compare/formats.js';
import { serializeOne } from '../exporter.js';
import { choice, fraction, nonNegativeNumber } from '../flag-values.js';
import { UsageError, valueFlag } from '../flags.js';
import { readResultFile } from '../results-file.js';
import { defineCommand } from './command.js';

const FORMATS = COMPARE_FORMATS.map((e) => e.format);

export const compareCommand = defineCommand({
  name: 'compare',
  summary: 'Did HEAD get faster or slower than BASE? Per case: a Mann-Whitney U test over the runs, a threshold, and "~" for noise.',
  args: { usage: 'BASE.json HEAD.json', min: 2, max: 2, what: 'two results files (BASE.json HEAD.json)' },
  details:
    'The first line is the conclusion: "inconclusive" (and why) when the files cannot answer the question - too few runs to reach ' +
    'significance, runs measured with different budgets, an interrupted run - else the regressions by name. What differs between ' +
    'the two runs (config, environment) comes next, in every format.',
  flags: {
    threshold: valueFlag({ metavar: 'PCT', help: 'smallest change, in percent, that counts as a change', default: DEFAULT_COMPARE_OPTIONS.thresholdPct, parse: (t, f) => nonNegativeNumber(f, t, { unit: 'percent', example: '5' }) }),
    alpha: valueFlag({ metavar: 'A', help: 'significance level of the test (Benjamini-Hochberg q-values); the CI level is 1 - A', default: DEFAULT_COMPARE_OPTIONS.alpha, parse: (t, f) => fraction(f, t, '0.05') }),
    format: valueFlag({ metavar: FORMATS.join('|'), help: COMPARE_FORMATS.map((e) => `${e.format}: ${e.summary}`).join('; '), default: 'md', parse: (t, f) => choice(f, t, FORMATS) }),
  },
  notes: ['Exit status: 0 no case significantly slower, 1 a case is significantly slower, 2 bad input or no case in common.'],
  async run({ flags, args }, io) {
    const [basePath, headPath] = args as [string, string];
    const base: ResultFile = await readResultFile(basePath);
    const head: ResultFile = await readResultFile(headPath);
    const result = compareResults(base, head, { thresholdPct: flags.threshold, alpha: flags.alpha }, { base: basePath, head: headPath });
    if (result.commonCases === 0) {
      throw new UsageError(
        `${basePath} and ${headPath} have no case in common (${base.cases.length} vs ${head.cases.length} cases, ` +
          `e.g. '${base.cases[0] ? result.onlyInBase[0] : '(none)'}' vs '${head.cases[0] ? result.onlyInHead[0] : '(none)'}'): compare two runs of the same mechanisms, sizes and probes`,
      );
    }
    if (result.cases.length === 0) {
      throw new UsageError(`${basePath} and ${headPath} share ${result.commonCases} cases, but none was measured on both sides (skipped or failed): nothing to compare; re-run the failed side`);
    }
    const exporter = COMPARE_FORMATS.find((e) => e.format === flags.format)!;
    io.stdout(await serializeOne(exporter, result));
    return compareExitCode(result);
  },
});
