/**
 * A command is one definition: its name, what it does, its positional arguments and its
 * flags (harness/flags.ts). Its parser and its `--help` both come from that definition;
 * `--help` and `--version` work on every command; every bad input ends the same way:
 * `podipc <command>: <one line naming the fix>`, exit 2.
 */
import { ResultFileError } from '../../core/results.js';
import type { CommandIo } from '../command-io.js';
import { flagHelp, parseFlags, UsageError, type FlagSet, type FlagValues } from '../flags.js';
import { PrerequisiteError } from '../runner.js';
import { versionLine } from '../version.js';

export interface CommandDef<F extends FlagSet> {
  /** `run`, or a subcommand such as `k8s render`. */
  name: string;
  /** One line for `podipc --help`. */
  summary: string;
  /** Positional arguments: how the usage line names them, and how many are taken. */
  args?: { usage: string; min: number; max: number; what: string };
  /** Paragraphs printed after the usage line. */
  details?: string;
  flags: F;
  /** Lines after the flags: exit codes, examples. */
  notes?: readonly string[];
  run(input: { flags: FlagValues<F>; args: string[] }, io: CommandIo): Promise<number>;
}

/** A command with its types erased, for the registry. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly flags: FlagSet;
  usage(): string;
  help(): string;
  /** Parse `argv` (the words after the command name) and run; UsageError on bad input. */
  execute(argv: readonly string[], io: CommandIo): Promise<number>;
}

export function defineCommand<F extends FlagSet>(def: CommandDef<F>): Command {
  const usage = (): string => `podipc ${def.name}${def.args ? ` ${def.args.usage}` : ''}${Object.keys(def.flags).length ? ' [flags]' : ''}`;
  const help = (): string =>
    [`Usage: ${usage()}`, '', def.summary, ...(def.details ? ['', def.details] : []), '', 'Flags:', ...flagHelp(def.flags), ...(def.notes?.length ? ['', ...def.notes] : [])].join('\n') + '\n';
  return {
    name: def.name,
    summary: def.summary,
    flags: def.flags,
    usage,
    help,
    async execute(argv, io) {
      const parsed = parseFlags(def.flags, argv, def.name);
      if (parsed.version) {
        io.stdout(`${versionLine()}\n`);
        return 0;
      }
      if (parsed.help) {
        io.stdout(help());
        return 0;
      }
      const n = parsed.positionals.length;
      const { min, max, what } = def.args ?? { min: 0, max: 0, what: 'no arguments' };
      if (n < min || n > max) {
        const got = n === 0 ? 'none' : parsed.positionals.map((p) => `'${p}'`).join(' ');
        throw new UsageError(`expected ${what}, got ${got}; usage: ${usage()}`);
      }
      return def.run({ flags: parsed.flags, args: parsed.positionals }, io);
    },
  };
}

/** Errors that are the user's to fix (exit 2), as opposed to podipc's bugs (exit 1, with a stack). */
export function isUsageLevel(err: unknown): err is Error {
  return err instanceof UsageError || err instanceof ResultFileError || err instanceof PrerequisiteError;
}

/** `podipc --help`: every command, its usage line and its flags. */
export function overview(commands: readonly Command[]): string {
  const lines = [
    `${versionLine()}: how should two containers in one pod talk, and what does each way cost?`,
    '',
    "Usage: podipc COMMAND [flags]   ('podipc COMMAND --help' shows one command; --version on every command)",
  ];
  for (const c of commands) {
    const own = Object.keys(c.flags).length ? flagHelp(c.flags, false) : [];
    lines.push('', c.usage(), `  ${c.summary}`, ...own.map((l) => `  ${l}`));
  }
  return lines.join('\n') + '\n';
}

/**
 * Find the command `argv` names (one word, or two for a subcommand such as `k8s render`),
 * run it, and turn a usage-level error into one line on stderr and exit 2.
 */
export async function dispatch(commands: readonly Command[], argv: readonly string[], io: CommandIo): Promise<number> {
  const [first, second] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout(overview(commands));
    return first === undefined ? 2 : 0;
  }
  if (first === '--version') {
    io.stdout(`${versionLine()}\n`);
    return 0;
  }
  const exact = commands.find((c) => c.name === first);
  const group = commands.filter((c) => c.name.startsWith(`${first} `));
  let command: Command | undefined = exact;
  let rest = argv.slice(1);
  if (!exact && group.length > 0) {
    command = group.find((c) => c.name === `${first} ${second}`);
    rest = argv.slice(2);
    if (!command) {
      if (second === '--help' || second === '-h') {
        io.stdout(group.map((c) => c.help()).join('\n'));
        return 0;
      }
      const use = group.map((c) => `'podipc ${c.name}'`).join(' or ');
      io.stderr(`podipc: ${second === undefined ? `missing ${first} command` : `unknown ${first} command '${second}'`}. Use ${use}.\n`);
      return 2;
    }
  }
  if (!command) {
    const names = [...new Set(commands.map((c) => c.name.split(' ')[0]))].join(', ');
    io.stderr(`podipc: unknown command '${first}'. Commands: ${names} ('podipc --help').\n`);
    return 2;
  }
  return invoke(command, rest, io);
}

/** Run one command: a usage-level error becomes one line on stderr and exit 2 (tests call this too). */
export async function invoke(command: Command, argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    return await command.execute(argv, io);
  } catch (err) {
    if (!isUsageLevel(err)) throw err;
    io.stderr(`podipc ${command.name}: ${err.message.replace(/\r?\n/g, ' ')}\n`);
    return 2;
  }
}
