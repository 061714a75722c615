/** report.json: the report model itself (tables.ts documents its shape), for tools and custom layouts. */
import type { ResultFile } from '../../core/results.js';
import type { Exporter } from '../exporter.js';
import { buildReportModel } from './tables.js';

export const reportJson: Exporter<ResultFile> = {
  format: 'json',
  summary: 'report.json: the report model (sections, tables with cells and flags, environment) as data',
  async serialize(results) {
    return [{ path: 'report.json', data: JSON.stringify(buildReportModel(results), null, 2) + '\n' }];
  },
};
