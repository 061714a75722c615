/**
 * One interface for every output format (after hyperfine's `Exporter { serialize }`): an
 * exporter turns a value - a results file for reports, a comparison for compare, a
 * recommendation for recommend - into the files of its format. Pure: it returns bytes,
 * the caller writes them (into a report directory, or to stdout when there is one file).
 * A new format is one file exporting an Exporter and one line in its registry.
 */

export interface Artifact {
  /** Path relative to the output directory: `report.md`, `charts/latency-same-pod.png`. */
  path: string;
  data: string | Uint8Array;
}

export interface Exporter<T> {
  /** The `--format` word: md, html, png, json, csv, text. */
  readonly format: string;
  /** One line for --help. */
  readonly summary: string;
  serialize(input: T): Promise<Artifact[]>;
}

/** The single artifact of a one-file exporter (compare, recommend print it to stdout). */
export async function serializeOne<T>(exporter: Exporter<T>, input: T): Promise<string> {
  const [only, ...more] = await exporter.serialize(input);
  if (!only || more.length > 0) throw new Error(`the ${exporter.format} exporter wrote ${more.length + (only ? 1 : 0)} files; one was expected`);
  return typeof only.data === 'string' ? only.data : Buffer.from(only.data).toString('utf8');
}
