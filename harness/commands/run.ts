/**
 * `podipc run`: run the suite, write results.json and the report, end with a short summary.
 * Ctrl-C stops the case running and writes the cases finished so far (marked
 * "interrupted": true, and the report says so); a second Ctrl-C exits at once.
 */
import { access, mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ResultFile } from '../../core/results.js';
import type { CommandIo } from '../command-io.js';
import { RUN_FLAGS, runConfigFrom } from '../config.js';
import { UsageError } from '../flags.js';
import { killAllPairs } from '../placements/pair.js';
import { writeReport } from '../report/index.js';
import { runSummary } from '../report/summary.js';
import { writeResultFile } from '../results-file.js';
import { runSuite, type Progress } from '../runner.js';
import { defineCommand } from './command.js';

function utcStamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/**
 * Make sure the output directory can be written before anything runs. Returns a function
 * that removes whatever this check created, so a failed run leaves nothing half-written.
 */
async function prepareOut(out: string): Promise<() => Promise<void>> {
  const created: string[] = [];
  let dir = resolve(out);
  const missing: string[] = [];
  for (;;) {
    try {
      await access(dir, constants.F_OK);
      break;
    } catch {
      missing.unshift(dir);
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  try {
    for (const d of missing) {
      await mkdir(d);
      created.push(d);
    }
    const probe = join(resolve(out), `.podipc-write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (err) {
    for (const d of created.reverse()) await rmdir(d).catch(() => {});
    throw new UsageError(`--out ${out}: cannot write there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Choose a writable directory, e.g. --out /tmp/podipc-results`);
  }
  return async () => {
    for (const d of created.reverse()) await rm(d, { recursive: true, force: true }).catch(() => {});
  };
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * The live progress line: on a terminal one line rewritten per case; elsewhere (CI logs,
 * pipes) one plain line per process pair, so a full run stays readable.
 */
function progressPrinter(): { update: (p: Progress) => void; done: () => void } {
  const err = process.stderr;
  const tty = err.isTTY;
  return {
    update(p) {
      if (!tty && !p.mechanismStart) return;
      const eta = p.remainingMs === undefined ? '' : `, ~${formatDuration(p.remainingMs)} left`;
      const text = `[${p.casesDone + 1}/${p.casesTotal}] ${p.label} (${formatDuration(p.elapsedMs)} elapsed${eta})`;
      if (tty) err.write(`\r\x1b[K${text.slice(0, (err.columns || 120) - 1)}`);
      else err.write(`${text}\n`);
    },
    done() {
      if (tty) err.write('\r\x1b[K');
    },
  };
}

const NOTHING_WRITTEN = 'interrupted before any case finished; everything the run created was removed and no results were written';

async function run(flags: Parameters<typeof runConfigFrom>[0], io: CommandIo): Promise<number> {
  const config = runConfigFrom(flags);
  const out = config.out ?? join('results', utcStamp());
  const undoOut = await prepareOut(out);

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) {
      io.stderr(`\npodipc: second ${signal}, exiting now\n`);
      void killAllPairs().finally(() => process.exit(130));
      return;
    }
    io.stderr(`\npodipc: ${signal}: stopping the case running now, cleaning up and writing the cases finished so far (press Ctrl-C again to force)\n`);
    controller.abort();
    void killAllPairs();
  };
  // Installed until the run returns, results and report written, and after an interrupt for
  // good: a second Ctrl-C while they are written, or between the return and the exit, still
  // exits at once with 130 (without the handler, Node's default would kill the process with
  // the signal instead).
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await measureAndWrite(config, out, undoOut, controller, io);
  } finally {
    if (interrupts === 0) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

async function measureAndWrite(
  config: ReturnType<typeof runConfigFrom>,
  out: string,
  undoOut: () => Promise<void>,
  controller: AbortController,
  io: CommandIo,
): Promise<number> {
  const progress = progressPrinter();
  let results: ResultFile;
  try {
    results = await runSuite(config, {
      log: (line) => {
        progress.done();
        io.stderr(`podipc: ${line}\n`);
      },
      progress: progress.update,
      signal: controller.signal,
    });
  } catch (err) {
    progress.done();
    await undoOut();
    if (controller.signal.aborted) {
      io.stderr(`podipc: ${NOTHING_WRITTEN}\n`);
      return 130;
    }
    throw err;
  } finally {
    progress.done();
  }
  if (results.interrupted && !results.cases.some((c) => c.runs.length > 0)) {
    await undoOut();
    io.stderr(`podipc: ${NOTHING_WRITTEN}\n`);
    return 130;
  }
  const resultsPath = await writeResultFile(results, out);
  const written = await writeReport(results, out);
  io.stdout(runSummary(results).map((l) => `podipc: ${l}\n`).join(''));
  io.stdout(`podipc: wrote ${resultsPath}${written.length ? `, ${written.length} report files (${join(out, 'report.md')})` : ''}\n`);
  if (results.interrupted) {
    io.stderr('podipc: interrupted: the results hold the cases finished before Ctrl-C, marked "interrupted": true; everything the run created was removed\n');
    return 130;
  }
  return results.cases.some((c) => c.status === 'failed') ? 1 : 0;
}

export const runCommand = defineCommand({
  name: 'run',
  summary: 'Run the benchmark: every mechanism through the latency and throughput probes, in two containers of one pod (and two pods), then write results.json and the report.',
  flags: RUN_FLAGS,
  notes: [
    'Exit status: 0 every case ok or skipped, 1 a case failed, 2 bad input or a missing prerequisite, 130 interrupted (the cases finished are written).',
    'Examples: podipc run --quick; podipc run --mechanisms tcp,shm-posix --sizes 64,1MiB --runs 5',
  ],
  run: ({ flags }, io) => run(flags, io),
});
