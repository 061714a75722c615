/**
 * Server-side PNG rendering: Chart.js 4 on @napi-rs/canvas, whose binary ships inside its
 * npm package (no cairo, no system libraries): charts render on a fresh machine after
 * `npm ci`. The only I/O here is encoding; writing files is index.ts's job.
 */
import { createCanvas } from '@napi-rs/canvas';
import {
  Chart,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  SubTitle,
  Title,
} from 'chart.js';
import { backgroundPlugin, toChartConfig, whiskerPlugin, type ChartSpec } from './charts.js';

let registered = false;

function register(): void {
  if (registered) return;
  // Tree-shaken Chart.js: register exactly what the line charts use, plus our two plugins.
  Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Title, SubTitle, Legend, whiskerPlugin, backgroundPlugin);
  registered = true;
}

/** Render one chart to PNG bytes at spec.width × spec.height pixels. */
export async function renderChartPng(spec: ChartSpec): Promise<Buffer> {
  register();
  const canvas = createCanvas(spec.width, spec.height);
  // Chart.js detects a non-DOM canvas and uses its BasicPlatform: no events, no resize.
  const chart = new Chart(canvas as unknown as HTMLCanvasElement, toChartConfig(spec, false));
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}
