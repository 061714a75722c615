/**
 * V8 flags the Node probe runs with, recorded by the harness in results.json
 * (`env.nodeProbeV8Flags`), so a reader knows which V8 the Node numbers came from. Shared here
 * because both sides need the same lists. A flag reaches V8 one of two ways:
 * - on the command line (NODE_PROBE_COMMAND_LINE_FLAGS), for a flag V8 reads only as it starts:
 *   every command that starts the probe gives it (harness/runtimes/node.ts for the host and
 *   image commands, the calibration, the image's ENTRYPOINT, bench/reference/probe-pair.ts);
 * - set by the probe on itself as it starts (NODE_PROBE_V8_FLAGS_SETTABLE_LATER,
 *   bench/entrypoint.ts), for a flag V8 takes later and that some supported Node lacks: on a
 *   command line an unknown V8 flag stops Node ("bad option", exit 9), while setFlagsFromString
 *   ignores it. Node 24, the image's, has no `--interrupt-budget`.
 *
 * `--interrupt-budget`: how much bytecode a function executes between V8's checks whether
 * to optimise it (default 67584 on Node 20; optimisation needs three such checks). A fresh
 * probe pair ran its first thousands of WebSocket or TCP round trips two to three times
 * slower than warm, longer than the quick profile's warm-up; an eighth of the budget
 * reaches optimised code after fewer round trips. The optimised code is the same; only the
 * way there is shorter. Measured: BENCHMARKS.md, "Warm-up in round trips".
 */
const INTERRUPT_BUDGET = '--interrupt-budget=8448';

/**
 * `--no-concurrent-recompilation`: V8 compiles optimised code on the main thread, in the
 * round trip that made a function hot, instead of on a thread of its own. Concurrently, that
 * thread was still compiling the mechanism's code well into a quick case's measured window:
 * the client's process used 57-100 µs of CPU per 46-76 µs round trip (tcp, ws) against 26-34
 * µs in the full profile, and on two cores the compiler thread's time came out of the round
 * trips. On the command line the quick profile's WebSocket p50 read 54.7-54.8 µs instead of
 * 74.4-76.5 µs, tcp's 39.4-41.1 µs instead of 46.5-47.4 µs, and the full profile's did not move
 * (BENCHMARKS.md, "The compiler thread"). V8 reads this flag only as it starts: set later it
 * changes nothing.
 */
const NO_CONCURRENT_RECOMPILATION = '--no-concurrent-recompilation';

/** Given on every command line that starts the probe: V8 reads them only as it starts, and every supported Node knows them. */
export const NODE_PROBE_COMMAND_LINE_FLAGS: readonly string[] = [NO_CONCURRENT_RECOMPILATION];

/** Set by the probe on itself: V8 takes them after it has started, and ignores them where it lacks them. */
export const NODE_PROBE_V8_FLAGS_SETTABLE_LATER: readonly string[] = [INTERRUPT_BUDGET];

/** Every flag the probe runs with, either way: what results.json records. */
export const NODE_PROBE_V8_FLAGS: readonly string[] = [...NODE_PROBE_V8_FLAGS_SETTABLE_LATER, ...NODE_PROBE_COMMAND_LINE_FLAGS];

/** The recorded flags as people read them: files from before the probe set any ran on V8's defaults. */
export function nodeProbeV8FlagsText(flags: readonly string[] | undefined): string {
  return flags && flags.length > 0 ? flags.join(' ') : 'V8 defaults';
}
