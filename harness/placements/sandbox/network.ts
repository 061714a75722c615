/**
 * The cross-pod link: a veth pair with one end in each pod's network namespace and an
 * address from the benchmarking range on each, as a CNI bridge plugin gives every pod an
 * interface (here point to point, without the bridge in between). The pair is created
 * directly inside the two namespaces, so it never appears in the host's, and it is
 * destroyed by the kernel when either namespace goes away.
 */
import { mustRun, toolEnv } from './exec.js';
import { CROSS_POD_PREFIX_LEN } from './layout.js';
import type { Pod } from './pod.js';

export interface CrossPodLink {
  kind: 'veth';
  mtuBytes: number;
  server: { pod: string; interface: string; address: string };
  client: { pod: string; interface: string; address: string };
}

export async function linkPods(a: Pod, b: Pod): Promise<CrossPodLink> {
  const env = toolEnv();
  await mustRun(
    'ip',
    ['link', 'add', 'name', a.layout.vethName, 'netns', String(a.pause.pid), 'type', 'veth', 'peer', 'name', b.layout.vethName, 'netns', String(b.pause.pid)],
    { what: 'creating the cross-pod veth pair', env },
  );
  let mtuBytes = 0;
  for (const pod of [a, b]) {
    const dev = pod.layout.vethName;
    const out = await mustRun(
      'nsenter',
      [`--target=${pod.pause.pid}`, '--net', '--', 'sh', '-c', 'ip addr add "$1" dev "$2" && ip link set "$2" up && ip -o link show dev "$2"', 'podipc-net', `${pod.layout.address}/${CROSS_POD_PREFIX_LEN}`, dev],
      { what: `configuring ${dev} in pod ${pod.layout.name}`, env },
    );
    mtuBytes = Number(/ mtu (\d+)/.exec(out)?.[1] ?? 0);
  }
  return {
    kind: 'veth',
    mtuBytes,
    server: { pod: a.layout.name, interface: a.layout.vethName, address: a.layout.address },
    client: { pod: b.layout.name, interface: b.layout.vethName, address: b.layout.address },
  };
}
