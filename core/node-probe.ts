/**
 * V8 flags the Node probe sets on itself when it starts (bench/entrypoint.ts), and the
 * harness records in results.json (`env.nodeProbeV8Flags`), so a reader knows which V8 the
 * Node numbers came from. Shared here because both sides need the same list.
 *
 * `--interrupt-budget`: how much bytecode a function executes between V8's checks whether
 * to optimise it (default 67584 on Node 20; optimisation needs three such checks). A fresh
 * probe pair ran its first thousands of WebSocket or TCP round trips two to three times
 * slower than warm, longer than the quick profile's warm-up; an eighth of the budget
 * reaches optimised code after fewer round trips. The optimised code is the same; only the
 * way there is shorter. Measured: BENCHMARKS.md, "Warm-up in round trips".
 */
export const NODE_PROBE_V8_FLAGS: readonly string[] = ['--interrupt-budget=8448'];

/** The recorded flags as people read them: files from before the probe set any ran on V8's defaults. */
export function nodeProbeV8FlagsText(flags: readonly string[] | undefined): string {
  return flags && flags.length > 0 ? flags.join(' ') : 'V8 defaults';
}
