/**
 * From what a pair left behind in the cluster (the client's log, the pods' last status,
 * the first step that failed) to the placement's PairOutcome. Pure: the logs are text
 * that `kubectl logs` printed - the container's stdout and stderr interleaved - and the
 * result lines are picked out of them with the protocol's own `extractProbeLines`.
 */
import { extractProbeLines, RESULT_LINE_PREFIX, type ProbeLine } from '../../../core/protocol.js';
import type { PairOutcome } from '../placement.js';
import { containerStatus, describeTermination } from './pod-status.js';

const TAIL_BYTES = 2000;

export interface PairEvidence {
  clientLog: string | undefined;
  serverLog: string | undefined;
  /** Last pod objects seen (parsed JSON), for exit codes. */
  clientPod: unknown;
  serverPod: unknown;
  /** The first step that failed, as the runner described it. */
  stepFailure: string | undefined;
  interrupted: boolean;
}

/** The last non-result lines of a log: what the probe said on stderr before it stopped. */
export function logTail(log: string | undefined): string {
  if (!log) return '(empty)';
  const text = log
    .split('\n')
    .filter((l) => !l.includes(RESULT_LINE_PREFIX))
    .join('\n')
    .trim();
  if (!text) return '(empty)';
  return text.length > TAIL_BYTES ? '…' + text.slice(-TAIL_BYTES) : text;
}

function exitProblem(who: string, pod: unknown, container: string): string | undefined {
  const terminated = containerStatus(pod, container)?.state?.terminated;
  if (!terminated || terminated.exitCode === 0) return undefined;
  return `the ${who} container ended with ${describeTermination(terminated)}`;
}

export function pairOutcome(e: PairEvidence): PairOutcome {
  let lines: ProbeLine[] = [];
  let protocolError: string | undefined;
  try {
    lines = extractProbeLines(e.clientLog ?? '');
  } catch (err) {
    protocolError = (err as Error).message;
  }
  const problems: string[] = [];
  if (e.interrupted) problems.push('interrupted');
  if (e.stepFailure) problems.push(e.stepFailure);
  const clientExit = exitProblem('client', e.clientPod, 'client');
  if (clientExit) problems.push(clientExit);
  const serverExit = exitProblem('server', e.serverPod, 'server');
  if (serverExit) problems.push(serverExit);
  if (protocolError) problems.push(protocolError);
  if (e.clientLog === undefined && !e.interrupted) problems.push('the client log could not be read');
  if (problems.length === 0) return { lines };
  return {
    lines,
    failure: `${problems.join('; ')}. server log: ${logTail(e.serverLog)} | client log: ${logTail(e.clientLog)}`,
  };
}
