/**
 * Server-side PNG rendering: Chart.js 4 on @napi-rs/canvas, whose binary ships inside its
 * npm package (no cairo, no system libraries): charts render on a fresh machine after
 * `npm ci`. A figure is its header (title, subtitle, warning) over a grid of panels, each
 * panel one Chart.js chart drawn on its own canvas and copied into place. The only I/O here
 * is encoding; writing files is index.ts's job.
 */
import { createCanvas } from '@napi-rs/canvas';
import { Chart, Legend, LinearScale, LineElement, LogarithmicScale, PointElement, ScatterController, Title } from 'chart.js';
import { chartKit, type ChartSpec } from './chart-kit.js';

const kit = chartKit();
let registered = false;

function register(): void {
  if (registered) return;
  // Tree-shaken Chart.js: exactly what the panels use, plus the kit's plugins.
  Chart.register(ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, Title, Legend, ...kit.plugins);
  registered = true;
}

/** Render one figure to PNG bytes at spec.width x spec.height pixels. */
export async function renderChartPng(spec: ChartSpec): Promise<Buffer> {
  register();
  const canvas = createCanvas(spec.width, spec.height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, spec.width, spec.height);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'alphabetic';
  ctx.fillStyle = '#222222';
  ctx.font = 'bold 18px sans-serif';
  ctx.fillText(spec.title, spec.width / 2, 26, spec.width - 20);
  ctx.font = '12.5px sans-serif';
  ctx.fillStyle = '#555555';
  let y = 26 + 19;
  for (const line of spec.subtitle) {
    ctx.fillText(line, spec.width / 2, y, spec.width - 20);
    y += 17;
  }
  if (spec.warning) {
    ctx.font = 'bold 12.5px sans-serif';
    ctx.fillStyle = '#b00020';
    ctx.fillText(spec.warning, spec.width / 2, y, spec.width - 20);
  }
  for (const [i, panel] of spec.panels.entries()) {
    const sub = createCanvas(spec.panelWidth, spec.panelHeight);
    // Chart.js detects a non-DOM canvas and uses its BasicPlatform: no events, no resize.
    const chart = new Chart(sub as unknown as HTMLCanvasElement, kit.panelConfig(panel, spec.panelWidth, spec.panelHeight, false));
    try {
      ctx.drawImage(sub, (i % spec.columns) * spec.panelWidth, spec.headerHeight + Math.floor(i / spec.columns) * spec.panelHeight);
    } finally {
      chart.destroy();
    }
  }
  return canvas.encode('png');
}
