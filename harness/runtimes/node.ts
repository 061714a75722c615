/**
 * The Node runtime: bench/entrypoint.ts, compiled to dist/bench/entrypoint.js, run by the
 * Node that runs the harness (on the host) or by the image's Node.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Runtime } from './runtime.js';
import { NODE_PROBE_COMMAND_LINE_FLAGS } from '../../core/node-probe.js';

export const NODE_ENTRYPOINT = resolve(import.meta.dirname, '../../bench/entrypoint.js');

/** The arguments after `node` that start the Node probe on this host: the V8 flags V8 reads only as it starts (core/node-probe.ts), the entrypoint, `args`. */
export function nodeProbeArgs(...args: string[]): string[] {
  return [...NODE_PROBE_COMMAND_LINE_FLAGS, NODE_ENTRYPOINT, ...args];
}

export const nodeRuntime: Runtime = {
  id: 'node',
  summary: () => `the Node probe (bench/entrypoint.ts) on Node ${process.versions.node}`,
  availability() {
    if (!existsSync(NODE_ENTRYPOINT)) return { ok: false, reason: `the Node probe is not built (${NODE_ENTRYPOINT} missing): run \`npm run build\`` };
    return { ok: true };
  },
  implements: () => ({ ok: true }),
  hostCommand: (planPath) => ({ command: process.execPath, args: nodeProbeArgs('--plan', planPath) }),
  imageCommand: ['node', ...NODE_PROBE_COMMAND_LINE_FLAGS, '/app/dist/bench/entrypoint.js'],
};
