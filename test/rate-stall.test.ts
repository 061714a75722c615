/**
 * Why the rate probe measures from the INTENDED send time: the server stalls for 20 ms every
 * 200 ms (the test-only plan option `stall`; long enough to stand above a shared host's noise). A closed loop meets one slow answer per stall
 * - service time, whose p99 stays low because the stalled messages are a fraction of a
 * percent - while every message that should have been sent during the stall waits too, which
 * response time counts: its p99 shows the stall. The mechanism's own speed is not asserted,
 * only this relationship (response p99 near the pause or above, service p99 far below it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPair, type Runtime } from './helpers/native-pair.js';

const PAUSE_MS = 20;
const EVERY_MS = 200;
const RATE = 2000;

for (const runtime of ['node', 'native'] as Runtime[]) {
  test(`stall: service p99 stays low, response p99 shows the stall (tcp, ${runtime})`, { timeout: 60_000 }, async () => {
    const r = await runPair({
      server: runtime,
      client: runtime,
      mechanism: 'tcp',
      cases: [{ probe: 'rate', messageBytes: 64, ratePerSec: RATE, stall: { everyMs: EVERY_MS, pauseMs: PAUSE_MS } }],
      budget: { measureMs: 1000, warmupMs: 10 },
    });
    assert.equal(r.failure, undefined, `the pair failed: ${r.failure}`);
    const line = r.lines[0]!;
    assert.equal(line.status, 'ok', `${line.status}: ${line.reason ?? ''}`);
    const response = line.responseNs!;
    const service = line.serviceNs!;
    const what = `response p99 ${response.p99} ns, service p99 ${service.p99} ns, service max ${service.max} ns`;
    // About 10 % of messages fall in a stall (40 of 400 per 200 ms), waiting up to 20 ms...
    assert.ok(response.p99 >= (PAUSE_MS * 1e6) / 2, `the response time does not show the stall: ${what}`);
    // ...but only one message per stall (0.25 %) sees it as service time: beyond the p99,
    assert.ok(service.p99 < (PAUSE_MS * 1e6) / 2, `the service time p99 shows the stall too: ${what}`);
    // though it did see it: the stall happened.
    assert.ok(service.max >= (PAUSE_MS * 1e6) / 2, `no message saw the stall at all: ${what}`);
  });
}
