/**
 * Command-line flags, written once per command: a flag is its type (switch or value), the
 * name of its value (LIST, BYTES, MS), its help text, its default and the parser that
 * turns the text into a typed value. `parseFlags` and `flagHelp` both read the same
 * definition, so `--help` and the parser cannot disagree.
 *
 * The argument scanner is podipc's own rather than node:util parseArgs, so that a value
 * that starts with a dash (`--sizes -5`) reaches the flag's parser and gets its message
 * ("'-5' is not a message size ..."), not parseArgs' "ambiguous argument" text.
 */

/** Bad input on the command line: exit 2 with the message, one line naming the fix. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Flag<T = unknown> {
  /** A switch (`--quick`) takes no value; a value flag takes one (`--runs 5`, `--runs=5`). */
  readonly takesValue: boolean;
  /** The value's name in help: LIST, BYTES, MS. */
  readonly metavar: string | undefined;
  readonly help: string;
  /** The default as --help prints it; undefined prints none. */
  readonly defaultText: string | undefined;
  /** The value when the flag is not given. */
  readonly absent: T;
  /** Text -> value; throws UsageError naming `--flag` and the fix. */
  parse(text: string, flag: string): T;
}

export type FlagSet = Readonly<Record<string, Flag>>;

/** The parsed values of a flag set, each typed by its flag. */
export type FlagValues<F extends FlagSet> = { -readonly [K in keyof F]: F[K] extends Flag<infer T> ? T : never };

/** `--quick`: true when given. */
export function switchFlag(help: string): Flag<boolean> {
  return { takesValue: false, metavar: undefined, help, defaultText: undefined, absent: false, parse: () => true };
}

interface ValueFlagOptions<T> {
  metavar: string;
  help: string;
  parse: (text: string, flag: string) => T;
  /** Shown in --help; defaults to the text of `default` when that is a string or number. */
  defaultText?: string;
}

/** A flag with a value and a default. */
export function valueFlag<T>(options: ValueFlagOptions<T> & { default: T }): Flag<T>;
/** A flag with a value and no default: undefined when not given. */
export function valueFlag<T>(options: ValueFlagOptions<T>): Flag<T | undefined>;
export function valueFlag<T>(options: ValueFlagOptions<T> & { default?: T }): Flag<T | undefined> {
  const d = options.default;
  return {
    takesValue: true,
    metavar: options.metavar,
    help: options.help,
    defaultText: options.defaultText ?? (typeof d === 'string' || typeof d === 'number' ? String(d) : undefined),
    absent: d,
    parse: options.parse,
  };
}

/** Flags every command has. */
export const COMMON_FLAGS = {
  help: switchFlag('show this help'),
  version: switchFlag("print podipc's version"),
} as const;

export interface ParsedArgs<F extends FlagSet> {
  flags: FlagValues<F>;
  positionals: string[];
  help: boolean;
  version: boolean;
}

/** The closest known flag by edit distance (a prefix either way counts as close), for "did you mean". */
function closest(name: string, known: readonly string[]): string | undefined {
  const prefix = known.filter((k) => k.startsWith(name) || name.startsWith(k)).sort((a, b) => Math.abs(a.length - name.length) - Math.abs(b.length - name.length));
  if (prefix.length > 0 && name.length >= 3) return prefix[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Scan `argv` against `flags`: `--name value`, `--name=value`, switches, `-h`, positionals,
 * `--` ends the flags. A value flag takes the next word whatever it starts with, unless
 * that word is itself one of the command's flags (then the value is missing). `helpFor`
 * names the command in the "see --help" hint.
 */
export function parseFlags<F extends FlagSet>(flags: F, argv: readonly string[], helpFor: string): ParsedArgs<F> {
  const all: FlagSet = { ...flags, ...COMMON_FLAGS };
  const given = new Map<string, string | true>();
  const positionals: string[] = [];
  const isKnownFlag = (word: string): boolean => word === '-h' || (word.startsWith('--') && word.slice(2).split('=')[0]! in all);
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word === '-h') {
      given.set('help', true);
      continue;
    }
    if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) {
      positionals.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = word.startsWith('--') ? word.slice(2, eq === -1 ? undefined : eq) : word.slice(1);
    const flag = all[name];
    if (!word.startsWith('--') || !flag) {
      const guess = closest(name, Object.keys(all));
      throw new UsageError(`unknown flag '${word.split('=')[0]}'${guess ? ` (did you mean --${guess}?)` : ''}; 'podipc ${helpFor} --help' lists the flags`);
    }
    if (!flag.takesValue) {
      if (eq !== -1) throw new UsageError(`--${name} is a switch and takes no value; write just --${name}`);
      given.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = word.slice(eq + 1);
    else if (i + 1 < argv.length && !isKnownFlag(argv[i + 1]!)) value = argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value: --${name} ${flag.metavar ?? 'VALUE'} (${firstSentence(flag.help)})`);
    if (given.has(name)) throw new UsageError(`--${name} is given twice; give it once (lists take commas: --${name} a,b)`);
    given.set(name, value);
  }
  const help = given.has('help');
  const version = given.has('version');
  const values: Record<string, unknown> = {};
  // With --help or --version nothing else is parsed: the answer must not depend on the rest.
  if (!help && !version) {
    for (const [name, flag] of Object.entries(flags)) {
      const text = given.get(name);
      values[name] = text === undefined ? flag.absent : text === true ? true : flag.parse(text, name);
    }
  }
  return { flags: values as FlagValues<F>, positionals, help, version };
}

function firstSentence(text: string): string {
  return text.split(/[.;(]/)[0]!.trim();
}

/** The flags block of --help: one flag per line, aligned, with its default; `common` adds --help and --version. */
export function flagHelp(flags: FlagSet, common = true): string[] {
  const entries = Object.entries(common ? { ...flags, ...COMMON_FLAGS } : flags).map(([name, f]) => {
    const left = `${name === 'help' ? '-h, ' : ''}--${name}${f.metavar ? ` ${f.metavar}` : ''}`;
    const right = f.defaultText !== undefined ? `${f.help} (default ${f.defaultText})` : f.help;
    return [left, right] as const;
  });
  const width = Math.max(...entries.map(([l]) => l.length)) + 2;
  return entries.map(([l, r]) => `  ${l.padEnd(width)}${r}`);
}
