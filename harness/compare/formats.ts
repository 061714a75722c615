/** The compare output formats: one line each. */
import type { Exporter } from '../exporter.js';
import type { Comparison } from './engine.js';
import { compareCsv } from './format-csv.js';
import { compareJson } from './format-json.js';
import { compareMarkdown } from './format-md.js';
import { compareText } from './format-text.js';

export const COMPARE_FORMATS: readonly Exporter<Comparison>[] = [compareMarkdown, compareText, compareJson, compareCsv];
