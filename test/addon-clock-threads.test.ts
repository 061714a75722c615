/**
 * The addon's allocation-free clock keeps its state per clockInit() call: a worker thread
 * that loads the addon and starts its own clock must not take over the main thread's slot
 * (it used to: one process-wide slot pointer, so after a worker's clockInit the main
 * thread's ticks wrote into the worker's array - freed memory once the worker exited - and
 * its own slot stopped moving; under the test runner that was an occasional SIGSEGV).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ADDON_PATH } from '../bench/native/index.js';

type Tick = () => void;
const addon = createRequire(import.meta.url)(ADDON_PATH) as { clockInit(slot: Float64Array): Tick };

test("a worker's clock leaves the main thread's clock writing into its own slot", async () => {
  const mine = new Float64Array(1);
  const tick = addon.clockInit(mine);
  tick();
  const before = mine[0]!;
  assert.ok(before > 0, 'the tick writes CLOCK_MONOTONIC into the slot');
  const source = `
    const { workerData, parentPort } = require('node:worker_threads');
    const addon = require(workerData.addonPath);
    const slot = new Float64Array(1);
    const tick = addon.clockInit(slot);
    tick();
    parentPort.postMessage(slot[0] > 0);
  `;
  const worker = new Worker(source, { eval: true, workerData: { addonPath: ADDON_PATH } });
  const [ticked] = (await Promise.all([new Promise((r) => worker.once('message', r)), new Promise((r) => worker.once("exit", r))])) as unknown as [boolean, unknown];
  assert.equal(ticked, true, "the worker's own clock works");
  for (let i = 0; i < 1000; i++) tick();
  assert.ok(mine[0]! > before, "the main thread's slot stopped moving after the worker started a clock");
});
