/**
 * The native runtime: the C++ probe (bench/native/probe/), built by node-gyp next to the
 * addon as build/Release/podipc_probe. It lists what it implements (`--list`), so the
 * matrix skips whatever it does not, with that reason.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Runtime } from './runtime.js';

export const NATIVE_PROBE = resolve(import.meta.dirname, '../../../build/Release/podipc_probe');

const NOT_BUILT = `the native probe is not built (${NATIVE_PROBE} missing): run \`npm ci\` or \`npm run build:native\` (node-gyp needs g++, make and python3)`;

export const nativeRuntime: Runtime = {
  id: 'native',
  summary: () => 'the native probe (bench/native/probe, C++)',
  availability() {
    if (!existsSync(NATIVE_PROBE)) return { ok: false, reason: NOT_BUILT };
    return { ok: true };
  },
  implements: () => ({ ok: false, reason: NOT_BUILT }),
  hostCommand: (planPath) => ({ command: NATIVE_PROBE, args: ['--plan', planPath] }),
  imageCommand: ['/app/build/Release/podipc_probe'],
};
