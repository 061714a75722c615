/** charts/<id>.png through the exporter interface: charts.ts specifies them, render-png.ts draws them. */
import type { ResultFile } from '../../core/results.js';
import type { Artifact, Exporter } from '../exporter.js';
import { buildChartSpecs } from './charts.js';
import { renderChartPng } from './render-png.js';

/**
 * Charts encoding at once. Two made a quick run's report as fast as encoding all at once, with
 * the peak memory of one at a time (BENCHMARKS.md, "Charts: the next one is drawn while the
 * last one encodes").
 */
const ENCODINGS_IN_FLIGHT = 2;

export const reportPng: Exporter<ResultFile> = {
  format: 'png',
  summary: 'charts/*.png: every chart as an image',
  async serialize(results) {
    // A chart is drawn on this thread and encoded on libuv's thread pool, so the next chart is
    // drawn while the last one encodes; each encoding holds its whole canvas, so only a few wait.
    const specs = buildChartSpecs(results);
    const pngs: Promise<Buffer>[] = [];
    for (const [i, spec] of specs.entries()) {
      if (i >= ENCODINGS_IN_FLIGHT) await pngs[i - ENCODINGS_IN_FLIGHT];
      const png = renderChartPng(spec);
      png.catch(() => {}); // awaited below: until then its failure is not an unhandled rejection
      pngs.push(png);
    }
    const data = await Promise.all(pngs);
    return specs.map((spec, i): Artifact => ({ path: `charts/${spec.id}.png`, data: data[i]! }));
  },
};
