/** The report formats: one line each. DEFAULT_REPORT_FORMATS are what `podipc run` writes. */
import type { ResultFile } from '../../core/results.js';
import type { Exporter } from '../exporter.js';
import { reportCsv } from './export-csv.js';
import { reportHtml } from './export-html.js';
import { reportJson } from './export-json.js';
import { reportPng } from './export-png.js';
import { reportMarkdown } from './markdown.js';

export const REPORT_FORMATS: readonly Exporter<ResultFile>[] = [reportMarkdown, reportHtml, reportPng, reportCsv, reportJson];

export const DEFAULT_REPORT_FORMATS: readonly string[] = ['md', 'html', 'png', 'csv'];
