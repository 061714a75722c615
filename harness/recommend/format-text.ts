/** recommend for a terminal: warnings, the top choices with their numbers and pod needs, then what was excluded and why. */
import type { Exporter } from '../exporter.js';
import { formatBytes, formatRate } from '../report/format.js';
import { CONSTRAINT_TEXT, type Recommendation } from './engine.js';

export function formatRecommendation(r: Recommendation, top = 3): string {
  const q = r.request;
  const lines: string[] = [];
  const constraints = [
    `${formatBytes(q.messageBytes)} messages`,
    q.pattern,
    q.crossPod ? 'across pods' : 'in one pod',
    ...(q.noIpcNamespace ? ['no shared IPC namespace'] : []),
    ...(q.p99UsMax !== undefined ? [`p99 <= ${q.p99UsMax} µs`] : []),
    ...(q.rateMsgsPerSec !== undefined ? [`${formatRate(q.rateMsgsPerSec)}`] : []),
    ...(q.cpuCoresMax !== undefined ? [`<= ${q.cpuCoresMax} CPU cores`] : []),
  ];
  lines.push(`podipc recommend: ${constraints.join(', ')}`);
  lines.push(`measured on ${r.env.placement} on ${r.env.host} (commit ${r.env.gitCommit.slice(0, 12)})`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push('');
  if (r.nothingFits) {
    lines.push(`Nothing fits: ${r.nothingFits}`);
  } else {
    lines.push(`Ranked by ${r.rankedBy} (best first):`);
    for (const ch of r.choices.slice(0, top)) {
      lines.push('', `${ch.rank}. ${ch.mechanism}${ch.summary ? ` - ${ch.summary}` : ''}`);
      lines.push(`   ${ch.basis}`);
      for (const need of ch.podNeeds) lines.push(`   pod needs: ${need}`);
      for (const s of ch.sysctlAdvice) lines.push(`   sysctl: ${s}`);
      for (const y of ch.podSpecYaml) lines.push('   pod spec:', ...y.split('\n').map((l) => `     ${l}`));
    }
    if (r.choices.length > top) lines.push('', `Also fits: ${r.choices.slice(top).map((c) => c.mechanism).join(', ')}.`);
  }
  if (r.excluded.length) {
    lines.push('', 'Excluded:');
    for (const e of r.excluded) lines.push(`  - ${e.mechanism} (${CONSTRAINT_TEXT[e.constraint]}): ${e.reason}`);
  }
  return lines.join('\n') + '\n';
}

/** The text exporter for the first `top` choices. */
export function recommendText(top: number): Exporter<Recommendation> {
  return {
    format: 'text',
    summary: 'the top choices with their numbers and pod-spec needs, then what was excluded and why',
    async serialize(r) {
      return [{ path: 'recommend.txt', data: formatRecommendation(r, top) }];
    },
  };
}
