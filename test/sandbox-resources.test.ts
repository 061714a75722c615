/**
 * Per-container resources as kubelet sets them: --cpu-limit is a CFS quota, --pin a cpuset,
 * --memory a memory limit, each in the container's own cgroup, recorded in the session's
 * facts (results.json `env`), and really in force: the probes run inside those cgroups.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxPlacement } from '../harness/placements/sandbox.js';
import { cfsQuotaUs, ownV1Cgroups, parseCpuList } from '../harness/placements/sandbox/cgroups.js';
import { findLeftovers } from '../harness/placements/sandbox/leftovers.js';
import { uptimeTicks } from '../harness/placements/sandbox/state.js';

const availability = await sandboxPlacement.check();
const cpuset = ownV1Cgroups().cpuset;
const skip = !availability.ok ? `the sandbox cannot run here: ${availability.reason}` : !cpuset ? 'no cgroup v1 cpuset hierarchy here' : false;

test('cfsQuotaUs follows kubelet: cores x 100 ms period, at least 1 ms', () => {
  assert.equal(cfsQuotaUs(0.5), 50_000);
  assert.equal(cfsQuotaUs(2), 200_000);
  assert.equal(cfsQuotaUs(0.0001), 1_000);
  assert.deepEqual(parseCpuList('0-2,5'), [0, 1, 2, 5]);
});

interface ContainerFacts {
  cgroups: string[];
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  cpus?: string;
  memoryLimitBytes?: number;
}

test('--cpu-limit, --pin and --memory land in each container cgroup, and the probes run there', { skip, timeout: 5 * 60_000 }, async () => {
  const cpus = parseCpuList(readFileSync(join(cpuset!, 'cpuset.cpus'), 'utf8'));
  const pin = [cpus[0]!, cpus.at(-1)!];
  const memoryBytes = 128 * 1024 * 1024;
  const runTag = `r${randomInt(36 ** 6).toString(36)}`;
  const session = await sandboxPlacement.open({ runTag, sysvSlot: randomInt(0x10000), resources: { cpuLimit: 0.5, pin, memoryBytes }, log: () => {} });
  const facts = session.facts();
  const env = { resources: facts.resources, sandbox: facts.details } as unknown as {
    resources: Record<string, unknown>;
    sandbox: { pods: { namespaces: { net: string; ipc: string; uts: string; mnt: string } }[]; containers: Record<string, ContainerFacts> };
  };
  try {
    assert.equal(env.resources.cpuLimitCores, 0.5);
    assert.deepEqual(env.resources.pin, pin);
    assert.equal(env.resources.memoryBytes, memoryBytes);
    const containers = env.sandbox.containers;
    assert.deepEqual(Object.keys(containers).sort(), ['pod-a/client', 'pod-a/server', 'pod-b/client']);
    for (const [id, c] of Object.entries(containers)) {
      assert.equal(c.cpuQuotaUs, 50_000, id);
      assert.equal(c.cpuPeriodUs, 100_000, id);
      assert.equal(c.memoryLimitBytes, memoryBytes, id);
      assert.equal(c.cpus, String(id.endsWith('server') ? pin[0] : pin[1]), `${id}: server on the first pinned CPU, client on the last`);
    }

    const outcome = await session.runPair(
      {
        runtime: 'node', topology: 'same-pod', run: 0,
        cases: [{ caseIndex: 0, mechanism: 'tcp', probe: 'latency', messageBytes: 64 }],
        budget: { warmupMs: 0, warmupRoundTrips: 0, measureMs: 200, setupTimeoutMs: 10_000 },
      },
      new AbortController().signal,
    );
    assert.equal(outcome.lines[0]?.status, 'ok', outcome.failure);
    // The kernel's own accounting in the containers' cgroups shows the probes ran there.
    for (const id of ['pod-a/server', 'pod-a/client']) {
      const groups = containers[id]!.cgroups;
      const cpu = groups.find((g) => g.includes('/cpu/') || /\/cpu,/.test(g));
      const memory = groups.find((g) => g.includes('/memory/'));
      if (cpu) assert.ok(Number(/nr_periods (\d+)/.exec(readFileSync(join(cpu, 'cpu.stat'), 'utf8'))?.[1]) > 0, `${id}: no CFS periods under the quota`);
      if (memory) assert.ok(Number(readFileSync(join(memory, 'memory.max_usage_in_bytes'), 'utf8')) > 1024 * 1024, `${id}: nothing charged to the memory cgroup`);
    }
  } finally {
    await session.close();
  }
  assert.deepEqual(findLeftovers(runTag, env.sandbox.pods.map((p) => p.namespaces), uptimeTicks()), []);
});
