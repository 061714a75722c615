/**
 * The sustainable-rate search runs in one pair and reports every step: whatever the
 * machine's timings, the steps are exactly the ones core/rate.ts nextSearchRate asks for
 * given the outcomes before them, each step's `ok` is core/rate.ts sustains() of its own
 * numbers, and the sustainable rate is the highest step that held. Both runtimes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextSearchRate, sustainableRate, sustains } from '../core/rate.js';
import { runPair, type Runtime } from './helpers/native-pair.js';

// A budget and rates a loaded shared host still meets (the client keeps a 10 ms schedule
// within 1 ms), so the ladder climbs and the test sees it climb;
// whether a step holds is checked against sustains() either way.
const SEARCH = { p99BudgetNs: 20_000_000, startRatePerSec: 100, maxRatePerSec: 800 };

for (const runtime of ['node', 'native'] as Runtime[]) {
  test(`rate search on tcp (${runtime}): steps follow nextSearchRate, ok follows sustains`, { timeout: 60_000 }, async (t) => {
    const r = await runPair({
      server: runtime,
      client: runtime,
      mechanism: 'tcp',
      cases: [{ probe: 'rate', messageBytes: 64, search: SEARCH }],
      budget: { measureMs: 100, warmupMs: 5 },
    });
    assert.equal(r.failure, undefined, `the pair failed: ${r.failure}`);
    const line = r.lines[0]!;
    assert.equal(line.status, 'ok', `${line.status}: ${line.reason ?? ''}`);
    assert.equal(line.p99BudgetNs, SEARCH.p99BudgetNs);
    assert.equal(line.ratePerSec, undefined, 'a search case has no single target rate');
    const steps = line.steps!;
    assert.ok(steps.length >= 1, 'at least one step');
    if (steps.length === 1) t.diagnostic(`only the start rate was tried: ${JSON.stringify(steps[0])}`);
    const opts = { ...SEARCH, refineSteps: 4 };
    for (let k = 0; k < steps.length; k++) {
      const s = steps[k]!;
      assert.equal(s.ratePerSec, nextSearchRate(steps.slice(0, k), opts), `step ${k} is not the one nextSearchRate asks for`);
      const expected =
        s.samples > 0 &&
        s.corrupt === 0 &&
        sustains({ targetRatePerSec: s.ratePerSec, achievedRatePerSec: s.achievedRatePerSec, responseP99Ns: s.responseNs.p99, lost: s.lost, clientBehind: s.clientBehind }, SEARCH.p99BudgetNs);
      assert.equal(s.ok, expected, `step ${k} (${s.ratePerSec}/s): ok ${s.ok} but sustains() says ${expected}: ${JSON.stringify(s)}`);
    }
    assert.equal(nextSearchRate(steps, opts), undefined, 'the search stopped where nextSearchRate says it is done');
    assert.equal(line.sustainableRatePerSec, sustainableRate(steps));
    const i = line.integrity!;
    assert.equal(i.sent, steps.reduce((n, s) => n + s.samples + s.lost + s.corrupt, 0), 'integrity covers every step');
  });
}
