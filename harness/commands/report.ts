/** `podipc report DIR`: re-render the report of a results.json, in any of the report formats. */
import { stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { choiceList } from '../flag-values.js';
import { UsageError, valueFlag } from '../flags.js';
import { writeReport } from '../report/index.js';
import { DEFAULT_REPORT_FORMATS, REPORT_FORMATS } from '../report/exporters.js';
import { readResultFile } from '../results-file.js';
import { defineCommand } from './command.js';

const FORMATS = REPORT_FORMATS.map((e) => e.format);

export const reportCommand = defineCommand({
  name: 'report',
  summary: 'Re-render the report of a results.json (results written by an older podipc are upgraded on read).',
  args: { usage: 'DIR|RESULTS.json', min: 1, max: 1, what: "one results directory (the --out of 'podipc run') or results.json" },
  flags: {
    out: valueFlag({ metavar: 'DIR', help: 'where to write', defaultText: 'next to results.json', parse: (t) => t }),
    format: valueFlag({
      metavar: 'LIST',
      help: `one or more of ${FORMATS.join(', ')} (${REPORT_FORMATS.map((e) => `${e.format}: ${e.summary}`).join('; ')})`,
      default: [...DEFAULT_REPORT_FORMATS],
      defaultText: DEFAULT_REPORT_FORMATS.join(','),
      parse: (t, f) => choiceList(f, t, FORMATS),
    }),
  },
  async run({ flags, args }, io) {
    const target = args[0]!;
    let resultsPath = target;
    try {
      if ((await stat(target)).isDirectory()) resultsPath = join(target, 'results.json');
    } catch {
      throw new UsageError(`${target} does not exist. Pass the directory 'podipc run --out DIR' wrote (it holds results.json).`);
    }
    const results = await readResultFile(resultsPath);
    const outDir = flags.out ?? dirname(resultsPath);
    const written = await writeReport(results, outDir, flags.format);
    const names = written.map((p) => relative(outDir, p));
    const charts = names.filter((n) => n.startsWith('charts/')).length;
    const files = names.filter((n) => !n.startsWith('charts/'));
    io.stdout(`podipc report: wrote ${written.length} files from ${basename(resultsPath)} into ${outDir}: ${[...files, ...(charts ? [`${charts} charts in charts/`] : [])].join(', ')}\n`);
    return 0;
  },
});
