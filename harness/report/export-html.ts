/** report.html through the exporter interface: html.ts lays it out, this wraps it and supplies Chart.js. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ResultFile } from '../../core/results.js';
import type { Exporter } from '../exporter.js';
import { renderHtml } from './html.js';

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

export const reportHtml: Exporter<ResultFile> = {
  format: 'html',
  summary: 'report.html: one self-contained page with interactive charts',
  async serialize(results) {
    return [{ path: 'report.html', data: renderHtml(results, await loadChartJsUmd()) }];
  },
};
