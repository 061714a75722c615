/**
 * compare for a terminal, in hyperfine's manner: the conclusion, what differs between the
 * runs, then one line per case ("tcp latency 64 B same-pod: 1.42x slower (1.31-1.55),
 * q = 0.004"), significant changes first, then the `~` cases most changed first.
 */
import type { Exporter } from '../exporter.js';
import type { Comparison } from './engine.js';
import { aaLine, configWarning, countsLine, envWarning, factorLine, headline, mostChangedFirst, noiseLine, onlyLine, shortCommit, unmeasuredLine } from './words.js';

const plain = (s: string): string => s;

export function formatCompareText(c: Comparison): string {
  const lines: string[] = [];
  lines.push(`podipc compare ${c.base.source} (${shortCommit(c.base.gitCommit)}) -> ${c.head.source} (${shortCommit(c.head.gitCommit)})`);
  lines.push(headline(c, plain));
  for (const w of [configWarning(c, plain), envWarning(c, plain)]) if (w) lines.push(`warning: ${w}`);
  if (c.aa) lines.push(`note: ${aaLine(c, plain)}`);
  if (c.significanceNote) lines.push(`note: ${c.significanceNote.replace(/`/g, '')}`);
  lines.push(countsLine(c), noiseLine(c));
  if (c.ciNote) lines.push(`note: ${c.ciNote}`);
  const changed = mostChangedFirst(c.cases.filter((x) => x.verdict !== '~'));
  const same = mostChangedFirst(c.cases.filter((x) => x.verdict === '~'));
  if (changed.length) lines.push('', 'Significant changes (time factor, its CI, BH q-value):', ...changed.map((x) => `  ${factorLine(x)}`));
  if (same.length) lines.push('', 'No detectable change (~), most changed first:', ...same.map((x) => `  ${factorLine(x)}`));
  const tail = [unmeasuredLine(c), onlyLine('base', c.onlyInBase, 20, plain), onlyLine('head', c.onlyInHead, 20, plain)].filter((x): x is string => x !== undefined);
  if (tail.length || c.notCompared.length) lines.push('');
  lines.push(...tail);
  for (const n of c.notCompared) lines.push(`measured on one side only: ${n.key}: ${n.reason}`);
  return lines.join('\n') + '\n';
}

export const compareText: Exporter<Comparison> = {
  format: 'text',
  summary: 'plain text for a terminal, one line per case (hyperfine style)',
  async serialize(c) {
    return [{ path: 'compare.txt', data: formatCompareText(c) }];
  },
};
