/**
 * The answer a report opens with: per size band, the best request/response mechanism, the
 * best streaming one and the cheapest in CPU (busy-pollers left out), per topology, and
 * what each named mechanism needs in the pod spec - checked against the numbers of the
 * committed fixture, computed here independently.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { findMechanism } from '../bench/registry.js';
import { REQUIREMENT_INFO } from '../core/requirements.js';
import { parseResultFile, type CaseResult, type ResultFile } from '../core/results.js';
import { mechanismLabel } from '../core/vocabulary.js';
import { busyPolls, hasLoss, requirementsFor } from '../harness/findings.js';
import { buildReportModel, sizeBand } from '../harness/report/tables.js';

const results: ResultFile = parseResultFile(JSON.parse(readFileSync(new URL('../../test/fixtures/good/base.json', import.meta.url), 'utf8')), 'base.json');

test('size bands: small <= 1 KiB, large >= 256 KiB, medium between', () => {
  assert.deepEqual([64, 1024, 1025, 65536, 262143, 262144, 1 << 20].map(sizeBand), ['small', 'small', 'medium', 'medium', 'medium', 'large', 'large']);
});

/** The single-size winner by hand: lowest (or highest) metric among clean ok cases. */
function winner(probe: CaseResult['probe'], size: number, metric: (c: CaseResult) => number, lowest: boolean, skip: (c: CaseResult) => boolean = () => false): string {
  const cs = results.cases.filter((c) => c.probe === probe && c.messageBytes === size && c.topology === 'same-pod' && c.status === 'ok' && !hasLoss(c) && !skip(c));
  cs.sort((a, b) => (lowest ? metric(a) - metric(b) : metric(b) - metric(a)));
  return mechanismLabel(cs[0]!);
}

test('same pod: each band names the best for request/response, streaming and CPU, as the numbers say', () => {
  const answer = buildReportModel(results).sections[0]!;
  assert.equal(answer.kind, 'answer');
  const same = answer.tables.find((t) => t.id.startsWith('answer-same-pod'))!;
  assert.deepEqual(same.cells.map((r) => r[0]!.text.split(':')[0]), ['small (≤ 1 KiB)', 'medium', 'large (≥ 256 KiB)']);
  const pick = (row: number, col: number): string => same.cells[row]![col]!.text.split(':')[0]!;
  // The medium and large bands hold one size each in the fixture: the single-size winner.
  assert.equal(pick(1, 1), winner('latency', 65536, (c) => c.latencyNs!.p50, true));
  assert.equal(pick(2, 2), winner('throughput', 1 << 20, (c) => c.throughput!.msgsPerSec, false));
  const latencyOf = (label: string, size: number): CaseResult | undefined =>
    results.cases.find((c) => c.probe === 'latency' && c.topology === 'same-pod' && c.messageBytes === size && mechanismLabel(c) === label);
  const calmCpu = winner('latency', 65536, (c) => c.cpu!.clientUsPerMsg + c.cpu!.serverUsPerMsg, true, (c) => busyPolls(c));
  assert.equal(pick(1, 3), calmCpu);
  // The spinning mechanism wins latency and loses "cheapest": it burns a core per side.
  assert.equal(pick(0, 1), 'shm-posix/spin');
  assert.match(same.cells[0]![1]!.text, /busy-polls: a core per side/);
  assert.ok(busyPolls(latencyOf('shm-posix/spin', 64)));
  assert.notEqual(pick(0, 3), 'shm-posix/spin');
});

test('cross pod: a table of its own, only what separate pods can share', () => {
  const answer = buildReportModel(results).sections[0]!;
  const cross = answer.tables.find((t) => t.id.startsWith('answer-cross-pod'))!;
  for (const row of cross.cells) for (const cell of row.slice(1)) assert.match(cell.text, /^(tcp|udp):/);
});

test('every mechanism the answer names has its pod-spec needs, from the requirements table', () => {
  const answer = buildReportModel(results).sections[0]!;
  const named = new Set(answer.tables.flatMap((t) => t.cells.flatMap((r) => r.slice(1).map((c) => c.text.split(':')[0]!))));
  assert.equal(answer.notes.length, named.size);
  for (const label of named) {
    const note = answer.notes.find((n) => n.startsWith(`**${label}** needs: `));
    assert.ok(note, `no pod needs for ${label}`);
    const [id, variant] = label.split('/') as [string, string | undefined];
    const reqs = requirementsFor(findMechanism(id)!, variant, 'node');
    for (const r of reqs) assert.ok(note.includes(REQUIREMENT_INFO[r].podNeed), `${label}: missing ${r}`);
    if (reqs.length === 0) assert.match(note, /nothing beyond a default pod/);
  }
});
