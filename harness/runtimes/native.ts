/**
 * The native runtime: the C++ probe (bench/native/probe/), built by node-gyp next to the
 * addon as build/Release/podipc_probe. It says what it implements: `podipc_probe --list`
 * prints one JSON line with its protocol and frame versions and, per mechanism, the variants
 * and probe kinds it runs. The runtime is available when the binary exists, answers `--list`
 * and speaks this harness's protocol and frame; the matrix skips whatever is not listed
 * ("the native probe does not implement ws"), so a mechanism added on the native side (one
 * .cc file and one registry line) needs no change here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { findMechanism } from '../../bench/registry.js';
import { FRAME_VERSION, MIN_MESSAGE_BYTES } from '../../core/frame-format.js';
import { PROTOCOL_VERSION } from '../../core/protocol.js';
import { mechanismLabel, probeKindSchema } from '../../core/vocabulary.js';
import type { Availability } from '../availability.js';
import type { Implements, Runtime } from './runtime.js';

export const NATIVE_PROBE = resolve(import.meta.dirname, '../../../build/Release/podipc_probe');

const BUILD_HINT = 'run `npm ci` or `npm run build:native` (node-gyp needs g++, make and python3)';
/** `--list` only prints a line; a probe that takes longer than this is broken. */
const LIST_TIMEOUT_MS = 10_000;

export const nativeListSchema = z.object({
  protocolVersion: z.number().int(),
  frameVersion: z.number().int(),
  mechanisms: z.array(z.object({ id: z.string().min(1), variants: z.array(z.string().min(1)), probes: z.array(probeKindSchema) })),
});
export type NativeList = z.infer<typeof nativeListSchema>;

/** What a `--list` answer means for this harness: the list, or why the runtime is unavailable. */
export function checkNativeList(stdout: string, probePath = NATIVE_PROBE): { ok: true; list: NativeList } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return { ok: false, reason: `${probePath} --list did not print JSON (${JSON.stringify(stdout.slice(0, 80))}): rebuild it, ${BUILD_HINT}` };
  }
  const parsed = nativeListSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: `${probePath} --list printed an unexpected shape: rebuild it, ${BUILD_HINT}` };
  const list = parsed.data;
  if (list.protocolVersion !== PROTOCOL_VERSION || list.frameVersion !== FRAME_VERSION) {
    return {
      ok: false,
      reason:
        `the native probe speaks protocol ${list.protocolVersion} / frame ${list.frameVersion}, this harness ${PROTOCOL_VERSION} / ${FRAME_VERSION}: ` +
        `it was built from another checkout; ${BUILD_HINT}`,
    };
  }
  return { ok: true, list };
}

/** Whether the listed probe implements a case, with the contract's wording when not. */
export function implementsFromList(list: NativeList, mechanism: string, variant: string | undefined, probe: z.infer<typeof probeKindSchema>): Implements {
  const m = list.mechanisms.find((x) => x.id === mechanism);
  if (!m) return { ok: false, reason: `the native probe does not implement ${mechanism} (it is Node-only; podipc_probe --list shows what the native probe runs)` };
  if (variant !== undefined && !m.variants.includes(variant)) {
    return { ok: false, reason: `the native probe does not implement ${mechanismLabel({ mechanism, variant })} (its variants: ${m.variants.join(', ') || 'none'})` };
  }
  if (!m.probes.includes(probe)) {
    // A probe the mechanism itself cannot run (sem has no stream) keeps the mechanism's reason.
    const own = findMechanism(mechanism)?.supports(probe, MIN_MESSAGE_BYTES, variant);
    if (own && !own.ok) return own;
    return { ok: false, reason: `the native probe does not implement ${mechanismLabel({ mechanism, variant })} ${probe}` };
  }
  return { ok: true };
}

let cached: ReturnType<typeof checkNativeList> | undefined;

function listed(): ReturnType<typeof checkNativeList> {
  if (cached) return cached;
  if (!existsSync(NATIVE_PROBE)) {
    cached = { ok: false, reason: `the native probe is not built (${NATIVE_PROBE} missing): ${BUILD_HINT}` };
    return cached;
  }
  try {
    cached = checkNativeList(execFileSync(NATIVE_PROBE, ['--list'], { encoding: 'utf8', timeout: LIST_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (err) {
    const e = err as Error & { stderr?: string };
    const why = (e.stderr ?? '').trim().split('\n')[0] || e.message;
    cached = { ok: false, reason: `${NATIVE_PROBE} --list failed (${why}): ${BUILD_HINT}` };
  }
  return cached;
}

export const nativeRuntime: Runtime = {
  id: 'native',
  summary: () => 'the native probe (bench/native/probe, C++)',
  availability(): Availability {
    const l = listed();
    return l.ok ? { ok: true } : { ok: false, reason: l.reason };
  },
  implements(mechanism, variant, probe) {
    const l = listed();
    return l.ok ? implementsFromList(l.list, mechanism, variant, probe) : { ok: false, reason: l.reason };
  },
  hostCommand: (planPath) => ({ command: NATIVE_PROBE, args: ['--plan', planPath] }),
  // The probe image carries the checkout at /app, built there (k8s/Dockerfile): the binary
  // links libstdc++ statically and needs only the image's glibc.
  imageCommand: ['/app/build/Release/podipc_probe'],
};
