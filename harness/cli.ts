#!/usr/bin/env node
/**
 * podipc: the command line. Exit codes: 0 ok, 1 run failed or regression found,
 * 2 bad usage or missing prerequisite.
 */
import { access, mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { argv, exit, stderr, stdout } from 'node:process';
import { killAllPairs } from './placements/pair.js';
import { parseRunArgs, RUN_USAGE, UsageError, type RunConfig } from './config.js';
import { PrerequisiteError, runSuite, type Progress } from './runner.js';
import { caseKey, placementsOf, type ResultFile } from '../core/results.js';
import { writeResultFile } from './results-file.js';
import { reportCommand, writeReport } from './report/index.js';
import { compareCommand } from './compare.js';
import { recommendCommand } from './recommend.js';

const USAGE = `podipc: how should two containers in one pod talk, and what does each way cost?

  podipc run [--quick] [--placement auto|process|sandbox|kind] [--runtime node,native] [--mechanisms a,b] [--sizes 64,4096] [--runs N] [--out DIR]
  podipc report DIR
  podipc compare BASE.json HEAD.json [--threshold PCT] [--alpha A] [--format md|json|text]
  podipc recommend --results FILE --size BYTES --pattern rpc|stream [--p99-us N] [--cross-pod] [--runtime native|node]
  podipc k8s render --out DIR
  podipc cluster up|down
  podipc image build|clean

Run 'podipc run --help' for every run flag.`;

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
  const tty = stderr.isTTY;
  return {
    update(p) {
      if (!tty && !p.pairStart) return;
      const eta = p.remainingMs === undefined ? '' : `, ~${formatDuration(p.remainingMs)} left`;
      const text = `[${p.casesDone + 1}/${p.casesTotal}] ${p.label} (${formatDuration(p.elapsedMs)} elapsed${eta})`;
      if (tty) stderr.write(`\r\x1b[K${text.slice(0, (stderr.columns || 120) - 1)}`);
      else stderr.write(`${text}\n`);
    },
    done() {
      if (tty) stderr.write('\r\x1b[K');
    },
  };
}

async function runCommand(args: string[]): Promise<number> {
  const config: RunConfig | undefined = parseRunArgs(args);
  if (!config) {
    stdout.write(RUN_USAGE + '\n');
    return 0;
  }
  const out = config.out ?? join('results', utcStamp());
  const undoOut = await prepareOut(out);

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) {
      stderr.write(`\npodipc: second ${signal}, exiting now\n`);
      exit(130);
    }
    stderr.write(`\npodipc: ${signal}: stopping, cleaning up (press Ctrl-C again to force)\n`);
    controller.abort();
    void killAllPairs();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = progressPrinter();
  let results: ResultFile;
  try {
    results = await runSuite(config, {
      log: (line) => {
        progress.done();
        stderr.write(`podipc: ${line}\n`);
      },
      progress: progress.update,
      signal: controller.signal,
    });
  } catch (err) {
    progress.done();
    await undoOut();
    if (controller.signal.aborted) {
      stderr.write('podipc: interrupted before any case finished; everything the run created was removed and no results were written\n');
      return 130;
    }
    throw err;
  } finally {
    progress.done();
  }
  if (results.interrupted && !results.cases.some((c) => c.runs.length > 0)) {
    await undoOut();
    stderr.write('podipc: interrupted before any case finished; everything the run created was removed and no results were written\n');
    return 130;
  }
  const resultsPath = await writeResultFile(results, out);
  const written = await writeReport(results, out);
  const count = (s: string): number => results.cases.filter((c) => c.status === s).length;
  stdout.write(
    `podipc: ${results.cases.length} cases on ${placementsOf(results).join(', ')}: ${count('ok')} ok, ${count('skipped')} skipped, ${count('failed')} failed\n` +
      `podipc: wrote ${resultsPath}${written.length ? `, ${written.length} report files (${join(out, 'report.md')})` : ''}\n`,
  );
  if (results.interrupted) {
    stderr.write('podipc: interrupted: the results hold the cases finished before Ctrl-C, marked "interrupted": true; everything the run created was removed\n');
    return 130;
  }
  for (const c of results.cases.filter((x) => x.status === 'failed')) {
    stderr.write(`podipc: failed: ${caseKey(c)}: ${c.reason ?? ''}\n`);
  }
  return count('failed') > 0 ? 1 : 0;
}

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'report':
      return reportCommand(rest);
    case 'compare':
      return compareCommand(rest);
    case 'recommend':
      return recommendCommand(rest);
    case 'k8s':
      return (await import('./commands/k8s.js')).k8sCommand(rest);
    case 'cluster':
      return (await import('./commands/cluster.js')).clusterCommand(rest);
    case 'image':
      return (await import('./commands/image.js')).imageCommand(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}'. Commands: run, report, compare, recommend, k8s, cluster, image ('podipc --help').`);
  }
}

main(argv.slice(2)).then(
  (code) => exit(code),
  (err: Error) => {
    if (err instanceof UsageError || err instanceof PrerequisiteError) {
      stderr.write(`podipc: ${err.message}\n`);
      exit(2);
    }
    stderr.write(`podipc: ${err.stack ?? err.message}\n`);
    exit(1);
  },
);
