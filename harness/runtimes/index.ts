/** The runtime registry: one line per runtime. Nothing else branches on a runtime's id. */
import type { RuntimeId } from '../../core/vocabulary.js';
import { nativeRuntime } from './native.js';
import { nodeRuntime } from './node.js';
import type { Runtime } from './runtime.js';

export const runtimes: Readonly<Record<RuntimeId, Runtime>> = {
  node: nodeRuntime,
  native: nativeRuntime,
};
