/** Run a command in-process as the CLI would (usage errors -> exit 2), capturing what it prints. */
import type { CommandIo } from '../../harness/command-io.js';
import { invoke, type Command } from '../../harness/commands/command.js';

export async function capture(command: Command, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIo = { stdout: (t) => void (out += t), stderr: (t) => void (err += t) };
  const code = await invoke(command, argv, io);
  return { code, out, err };
}
