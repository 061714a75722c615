/** CSV as RFC 4180 writes it: comma-separated, a field quoted when it must be; columns defined once, header and value together. */

export type CsvCell = string | number | boolean | undefined;

/** One column: its header and how a row's value is read. */
export type CsvColumn<T> = readonly [header: string, value: (row: T) => CsvCell];

function field(v: CsvCell): string {
  if (v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The header row and one row per item, as one CSV text ending in a newline. */
export function toCsv<T>(columns: readonly CsvColumn<T>[], items: readonly T[]): string {
  return [columns.map(([h]) => h), ...items.map((item) => columns.map(([, value]) => value(item)))].map((r) => r.map(field).join(',')).join('\n') + '\n';
}
