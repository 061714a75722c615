/** charts/<id>.png through the exporter interface: charts.ts specifies them, render-png.ts draws them. */
import type { ResultFile } from '../../core/results.js';
import type { Artifact, Exporter } from '../exporter.js';
import { buildChartSpecs } from './charts.js';
import { renderChartPng } from './render-png.js';

export const reportPng: Exporter<ResultFile> = {
  format: 'png',
  summary: 'charts/*.png: every chart as an image',
  async serialize(results) {
    const out: Artifact[] = [];
    for (const spec of buildChartSpecs(results)) out.push({ path: `charts/${spec.id}.png`, data: await renderChartPng(spec) });
    return out;
  },
};
