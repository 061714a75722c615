/**
 * The report writer: the report formats (exporters.ts) of one results.json into a
 * directory. Written at the end of every run and by `podipc report DIR` (re-rendering old
 * data gives the same report: every exporter is a function of the results file alone).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ResultFile } from '../../core/results.js';
import { DEFAULT_REPORT_FORMATS, REPORT_FORMATS } from './exporters.js';

export { loadChartJsUmd } from './export-html.js';

/** Write the given formats into `dir`; returns the paths written. */
export async function writeReport(results: ResultFile, dir: string, formats: readonly string[] = DEFAULT_REPORT_FORMATS): Promise<string[]> {
  const written: string[] = [];
  for (const exporter of REPORT_FORMATS.filter((e) => formats.includes(e.format))) {
    for (const artifact of await exporter.serialize(results)) {
      const path = join(dir, artifact.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, artifact.data);
      written.push(path);
    }
  }
  return written;
}
