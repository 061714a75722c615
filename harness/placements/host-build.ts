/**
 * What placements whose containers run the host's own build (process, sandbox) share: the
 * probes are this checkout's, so a runtime is available when it is built here, and the
 * Node probe's native addon is there when it was compiled here.
 */
import { nativeUnavailableReason } from '../../bench/native/index.js';
import type { Requirement } from '../../core/requirements.js';
import type { Availability } from '../availability.js';
import type { Runtime } from '../runtimes/runtime.js';

export function hostRuntimeAvailability(runtime: Runtime): Availability {
  return runtime.availability();
}

/** The host-build requirements this machine lacks, with the reason naming the fix. */
export function hostBuildLacks(): Map<Requirement, string> {
  const lacks = new Map<Requirement, string>();
  const addon = nativeUnavailableReason();
  if (addon !== undefined) lacks.set('native-addon', addon);
  return lacks;
}
