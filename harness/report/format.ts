/**
 * Number formatting shared by report, compare and recommend: units are always printed,
 * three significant digits, no locale (the output must not depend on the machine).
 */

/** Three significant digits without exponent notation: 0.520, 34.2, 1230. */
export function sig3(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1000) return String(Math.round(x));
  const digits = Math.max(0, 2 - Math.floor(Math.log10(abs)));
  return x.toFixed(Math.min(digits, 6));
}

/** A duration in nanoseconds with the unit that keeps the number readable: 520 ns, 34.2 µs. */
export function formatNs(ns: number): string {
  const abs = Math.abs(ns);
  if (abs < 1e3) return `${sig3(ns)} ns`;
  if (abs < 1e6) return `${sig3(ns / 1e3)} µs`;
  if (abs < 1e9) return `${sig3(ns / 1e6)} ms`;
  return `${sig3(ns / 1e9)} s`;
}

/** CPU time per message in microseconds. */
export function formatUs(us: number): string {
  return formatNs(us * 1e3);
}

/** SI prefix; `gap` puts a space between prefix and unit ("195 k msg/s" but "1.1 GB/s"). */
function si(x: number, unit: string, gap = ''): string {
  const abs = Math.abs(x);
  if (abs >= 1e9) return `${sig3(x / 1e9)} G${gap}${unit}`;
  if (abs >= 1e6) return `${sig3(x / 1e6)} M${gap}${unit}`;
  if (abs >= 1e3) return `${sig3(x / 1e3)} k${gap}${unit}`;
  return `${sig3(x)} ${unit}`;
}

/** Messages per second: 190 k msg/s. */
export function formatRate(msgsPerSec: number): string {
  return si(msgsPerSec, 'msg/s', ' ');
}

/** Bytes per second, decimal SI (1 GB/s = 1e9 B/s). */
export function formatBytesPerSec(bytesPerSec: number): string {
  return si(bytesPerSec, 'B/s');
}

/** A message size: binary units because sizes are powers of two (64 B, 1 KiB, 1 MiB). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${bytes / (1 << 10)} KiB`;
  return `${bytes} B`;
}

/** A signed percentage change: +30.1 %, -4.2 %, 0.0 %. */
export function formatPct(pct: number, signed = true): string {
  if (!Number.isFinite(pct)) return 'n/a';
  const s = Math.abs(pct) >= 100 ? pct.toFixed(0) : pct.toFixed(1);
  return `${signed && pct > 0 ? '+' : ''}${s === '-0.0' ? '0.0' : s} %`;
}

/** A p-value as benchstat prints it: p=0.008, p=0.100, p<0.001. */
export function formatP(p: number): string {
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

/** Escape text for a Markdown table cell. */
export function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Escape text for HTML element content and attribute values. */
export function htmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
