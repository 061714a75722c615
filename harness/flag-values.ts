/**
 * The parsers every command's flags share: sizes, counts, numbers, durations, and lists
 * checked against the registries and the vocabulary. One syntax each, so `run --sizes
 * 2GiB` and `recommend --size 2GiB` read the same; every error names the flag, shows the
 * value and gives an example that works.
 */
import { mechanisms } from '../bench/registry.js';
import { UsageError } from './flags.js';
import { allSelections, type Selection } from './selection.js';

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * "64", "16k", "1.5KiB", "1MiB", "2GiB" -> bytes (binary units: message sizes are powers of
 * two); undefined when the text is not a size at all. Negative and fractional results are
 * returned as they are, for the caller to reject by name.
 */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  return Number(m[1]) * unit;
}

/** A whole, positive number of bytes of at least `min` (`minWhy` says why that minimum). */
export function bytesValue(flag: string, text: string, opts: { min: number; minWhy?: string; example: string }): number {
  const bytes = parseBytes(text);
  if (bytes === undefined || !Number.isInteger(bytes) || bytes <= 0) {
    throw new UsageError(`--${flag}: '${text.trim()}' is not a size in bytes. Use positive whole bytes, optionally with k/KiB/M/MiB/G/GiB, e.g. --${flag} ${opts.example}`);
  }
  if (bytes < opts.min) {
    throw new UsageError(`--${flag}: ${bytes} B is below the ${opts.min}-byte minimum${opts.minWhy ? ` (${opts.minWhy})` : ''}. Use ${opts.min} or more, e.g. --${flag} ${opts.example}`);
  }
  return bytes;
}

/** Items of a comma-separated list, trimmed, empty ones dropped. */
function items(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** A comma-separated list of sizes, de-duplicated and sorted. */
export function bytesList(flag: string, text: string, opts: { min: number; minWhy?: string; example: string }): number[] {
  const parts = items(text);
  if (parts.length === 0) throw new UsageError(`--${flag}: empty list; e.g. --${flag} ${opts.example}`);
  return [...new Set(parts.map((p) => bytesValue(flag, p, opts)))].sort((a, b) => a - b);
}

/** A number > 0 (`integer`: a whole one). */
export function positiveNumber(flag: string, text: string, opts: { integer?: boolean; unit?: string; example: string }): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (opts.integer && !Number.isInteger(n))) {
    const what = `a positive ${opts.integer ? 'whole ' : ''}number${opts.unit ? ` of ${opts.unit}` : ''}`;
    throw new UsageError(`--${flag}: '${text}' is not ${what}, e.g. --${flag} ${opts.example}`);
  }
  return n;
}

/** A number >= 0. */
export function nonNegativeNumber(flag: string, text: string, opts: { unit?: string; example: string }): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${flag}: '${text}' is not a number >= 0${opts.unit ? ` (${opts.unit})` : ''}, e.g. --${flag} ${opts.example}`);
  }
  return n;
}

/** A count of things: a whole number >= 1. */
export function count(flag: string, text: string, example: string): number {
  return positiveNumber(flag, text, { integer: true, example });
}

/** A duration in milliseconds: "500", "500ms", "2s". `allowZero` for warm-ups. */
export function durationMs(flag: string, text: string, opts: { allowZero?: boolean; example: string }): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s)?\s*$/i.exec(text);
  const ms = m ? Number(m[1]) * (m[2]?.toLowerCase() === 's' ? 1000 : 1) : NaN;
  if (!Number.isFinite(ms) || ms < 0 || (ms === 0 && !opts.allowZero)) {
    throw new UsageError(`--${flag}: '${text}' is not a duration ${opts.allowZero ? '>= 0' : '> 0'}; give milliseconds (500, 500ms) or seconds (2s), e.g. --${flag} ${opts.example}`);
  }
  return ms;
}

/** A number strictly between 0 and 1. */
export function fraction(flag: string, text: string, example: string): number {
  const n = Number(text);
  if (text.trim() === '' || !(n > 0 && n < 1)) throw new UsageError(`--${flag}: '${text}' must be between 0 and 1 (exclusive), e.g. --${flag} ${example}`);
  return n;
}

/** One word of `allowed`. */
export function choice<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  const t = text.trim();
  if (!(allowed as readonly string[]).includes(t)) throw new UsageError(`--${flag}: '${t}' is not one of ${allowed.join(', ')}; e.g. --${flag} ${allowed[0]}`);
  return t as T;
}

/** A comma-separated list of words of `allowed`, de-duplicated, in the order given. */
export function choiceList<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const list = items(text);
  if (list.length === 0) throw new UsageError(`--${flag}: empty list; use one or more of ${allowed.join(', ')}`);
  return [...new Set(list.map((item) => choice(flag, item, allowed)))];
}

/**
 * Mechanisms from the registry: `tcp`, `shm-posix/futex`; a mechanism without `/variant`
 * means all of its variants.
 */
export function mechanismList(flag: string, text: string): Selection[] {
  const known = allSelections().map((s) => (s.variant ? `${s.mechanism}/${s.variant}` : s.mechanism));
  const out: Selection[] = [];
  for (const raw of items(text)) {
    const [id, variant] = raw.split('/', 2) as [string, string | undefined];
    const mech = mechanisms.find((m) => m.id === id);
    if (!mech) throw new UsageError(`--${flag}: unknown mechanism '${id}'. Known: ${known.join(', ')}`);
    if (variant !== undefined) {
      if (!mech.variants?.includes(variant)) {
        const has = mech.variants?.length ? `its variants are ${mech.variants.join(', ')}` : 'it has no variants';
        throw new UsageError(`--${flag}: '${raw}': ${id} has no variant '${variant}' (${has}).`);
      }
      out.push({ mechanism: id, variant });
    } else if (mech.variants?.length) {
      for (const v of mech.variants) out.push({ mechanism: id, variant: v });
    } else {
      out.push({ mechanism: id, variant: undefined });
    }
  }
  if (out.length === 0) throw new UsageError(`--${flag}: empty list. Known: ${known.join(', ')}`);
  const seen = new Set<string>();
  return out.filter((s) => !seen.has(`${s.mechanism}/${s.variant}`) && seen.add(`${s.mechanism}/${s.variant}`));
}

/** CPU numbers that exist on this machine: `0,1`. */
export function cpuList(flag: string, text: string, cpuCount: number): number[] {
  return text.split(',').map((s) => s.trim()).map((c) => {
    const n = Number(c);
    if (c === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${flag}: '${c}' is not a CPU number; use a list like --${flag} 0,1`);
    if (n >= cpuCount) throw new UsageError(`--${flag}: CPU ${n} does not exist here (CPUs 0-${cpuCount - 1}); use a list like --${flag} 0,${Math.min(1, cpuCount - 1)}`);
    return n;
  });
}

/** A memory limit: a size of at least 16 MiB. */
export function memoryBytes(flag: string, text: string): number {
  const bytes = parseBytes(text);
  if (bytes === undefined || !Number.isInteger(bytes) || bytes < 16 * 1024 * 1024) {
    throw new UsageError(`--${flag}: '${text}' is not a memory limit of at least 16MiB; e.g. --${flag} 256MiB`);
  }
  return bytes;
}
