/**
 * The command registry: one line per command, in the order `podipc --help` lists them.
 * A new command is one file in this folder exporting a `defineCommand(...)` and one line
 * here.
 */
import type { Command } from './command.js';
import { clusterDownCommand, clusterUpCommand } from './cluster.js';
import { compareCommand } from './compare.js';
import { imageBuildCommand, imageCleanCommand } from './image.js';
import { k8sRenderCommand } from './k8s.js';
import { recommendCommand } from './recommend.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';

export const COMMANDS: readonly Command[] = [
  runCommand,
  reportCommand,
  compareCommand,
  recommendCommand,
  k8sRenderCommand,
  clusterUpCommand,
  clusterDownCommand,
  imageBuildCommand,
  imageCleanCommand,
];
