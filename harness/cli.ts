#!/usr/bin/env node
/**
 * podipc: the command line. Every command is one definition in harness/commands/ (its
 * flags give both its parser and its --help); this file only dispatches. Exit codes: 0 ok,
 * 1 run failed or regression found, 2 bad usage or missing prerequisite, 130 interrupted.
 */
import { argv, exit, stderr } from 'node:process';
import { processIo } from './command-io.js';
import { dispatch } from './commands/command.js';
import { COMMANDS } from './commands/index.js';

dispatch(COMMANDS, argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain before exiting (a piped report must not be cut short).
    process.stdout.write('', () => exit(code));
  },
  (err: Error) => {
    stderr.write(`podipc: ${err.stack ?? err.message}\n`);
    exit(1);
  },
);
