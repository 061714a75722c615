/**
 * Where a subcommand writes. The commands take it as a parameter so tests capture their
 * output without spawning a process; the CLI passes the real streams.
 */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIo: CommandIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};
