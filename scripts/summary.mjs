#!/usr/bin/env node
// One table per topology from a results.json: each mechanism's round trip at the smallest
// size and stream throughput at the largest, with CPU per message on both sides. This is
// how the tables in BENCHMARKS.md are made:  node scripts/summary.mjs results/<stamp>/results.json
import { readFileSync } from 'node:fs';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/summary.mjs RESULTS.json');
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, 'utf8'));
const label = (c) => (c.variant ? `${c.mechanism}/${c.variant}` : c.mechanism);
const us = (ns) => (ns / 1000).toFixed(ns < 10_000 ? 2 : 1);
const mb = (b) => (b / 1e6).toFixed(0);
const sizes = [...new Set(results.cases.map((c) => c.messageBytes))].sort((a, b) => a - b);
const small = sizes[0];
const large = sizes[sizes.length - 1];

for (const topology of ['same-pod', 'cross-pod']) {
  const cases = results.cases.filter((c) => c.topology === topology);
  if (!cases.some((c) => c.status === 'ok')) continue;
  console.log(`\n${topology} (placement ${results.env.placement}, ${results.config.runs} runs, ${results.config.measureMs} ms per run)\n`);
  console.log(`| mechanism | p50 RTT ${small} B (µs) | p99 RTT ${small} B (µs) | CPU client+server per RTT (µs) | throughput ${large} B (MB/s) | CPU client+server per msg (µs) | lost/sent |`);
  console.log('|---|--:|--:|--:|--:|--:|--:|');
  const labels = [...new Set(cases.map(label))];
  const find = (l, probe, size) => cases.find((c) => label(c) === l && c.probe === probe && c.messageBytes === size);
  const rows = labels.map((l) => ({ l, lat: find(l, 'latency', small), tp: find(l, 'throughput', large) }));
  rows.sort((a, b) => (a.lat?.latencyNs?.p50 ?? Infinity) - (b.lat?.latencyNs?.p50 ?? Infinity));
  for (const { l, lat, tp } of rows) {
    if (lat?.status !== 'ok' && tp?.status !== 'ok') continue;
    const latCells = lat?.status === 'ok'
      ? [us(lat.latencyNs.p50), us(lat.latencyNs.p99), `${lat.cpu.clientUsPerMsg.toFixed(1)} + ${lat.cpu.serverUsPerMsg.toFixed(1)}`]
      : [lat?.status ?? '-', '', ''];
    const tpCells = tp?.status === 'ok'
      ? [mb(tp.throughput.bytesPerSec), `${tp.cpu.clientUsPerMsg.toFixed(0)} + ${tp.cpu.serverUsPerMsg.toFixed(0)}`, `${tp.integrity.lost}/${tp.integrity.sent}`]
      : [tp?.status ?? '-', '', ''];
    console.log(`| ${l} | ${[...latCells, ...tpCells].join(' | ')} |`);
  }
}
