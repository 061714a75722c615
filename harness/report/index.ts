/**
 * The report writer: report.md, report.html and charts/*.png from one results.json. Written
 * at the end of every run and by `podipc report DIR` (re-rendering old data gives the same
 * report: everything below is a function of the results file alone).
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { readResultFile } from '../results-file.js';
import { ResultFileError, type ResultFile } from '../../core/results.js';
import { buildChartSpecs } from './charts.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { processIo, type CommandIo } from '../command-io.js';
import { renderChartPng } from './render-png.js';

/** The text of Chart.js's UMD build, inlined into report.html. */
export async function loadChartJsUmd(): Promise<string> {
  const require = createRequire(import.meta.url);
  // The package's exports map hides dist/ subpaths; the main entry sits next to the UMD build.
  const path = join(dirname(require.resolve('chart.js')), 'chart.umd.js');
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); run 'npm ci' to install chart.js 4.`);
  }
}

/** Write report.md, report.html and charts/<id>.png into `dir`; returns the paths written. */
export async function writeReport(results: ResultFile, dir: string): Promise<string[]> {
  const chartsDir = join(dir, 'charts');
  await mkdir(chartsDir, { recursive: true });
  const written: string[] = [];
  for (const spec of buildChartSpecs(results)) {
    const path = join(chartsDir, `${spec.id}.png`);
    await writeFile(path, await renderChartPng(spec));
    written.push(path);
  }
  const md = join(dir, 'report.md');
  await writeFile(md, renderMarkdown(results));
  written.push(md);
  const html = join(dir, 'report.html');
  await writeFile(html, renderHtml(results, await loadChartJsUmd()));
  written.push(html);
  return written;
}

const REPORT_USAGE = 'usage: podipc report DIR|RESULTS.json [--out DIR]   (re-renders report.md, report.html and charts/*.png)';

/** `podipc report DIR`: 0 written, 2 bad usage or not a results file. */
export async function reportCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    io.stderr(`podipc report: ${(err as Error).message}\n${REPORT_USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout(`${REPORT_USAGE}\n`);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    io.stderr(`podipc report: expected one results directory (the --out of 'podipc run'), got ${parsed.positionals.length}.\n${REPORT_USAGE}\n`);
    return 2;
  }
  const target = parsed.positionals[0] as string;
  let resultsPath = target;
  try {
    if ((await stat(target)).isDirectory()) resultsPath = join(target, 'results.json');
  } catch {
    io.stderr(`podipc report: ${target} does not exist. Pass the directory 'podipc run --out DIR' wrote (it holds results.json).\n`);
    return 2;
  }
  let results: ResultFile;
  try {
    results = await readResultFile(resultsPath);
  } catch (err) {
    if (err instanceof ResultFileError) {
      io.stderr(`podipc report: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const outDir = parsed.values.out ?? dirname(resultsPath);
  const written = await writeReport(results, outDir);
  io.stdout(`podipc report: wrote ${written.length} files from ${basename(resultsPath)}: ${join(outDir, 'report.md')}, ${join(outDir, 'report.html')}, ${written.length - 2} charts in ${join(outDir, 'charts')}\n`);
  return 0;
}
