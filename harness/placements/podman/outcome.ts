/**
 * `podman container inspect` -> the container statuses a Kubernetes pod reports, so the
 * pair's outcome is read by the same code as kind's (kind/outcome.ts): exit codes, OOM
 * kills, and the result lines from the client's log. Pure.
 */
interface InspectedContainer {
  Name?: string;
  State?: { Status?: string; Running?: boolean; ExitCode?: number; OOMKilled?: boolean; Error?: string };
}

/** A pod-shaped object ({status: {containerStatuses}}) from the inspect JSON of a pair's containers. */
interface Status {
  name: string;
  state: { running?: object; terminated?: { exitCode: number; reason: string; message?: string }; waiting?: { reason: string } };
}

export function podFromInspect(json: string | undefined, containers: { server: string; client: string }): unknown {
  let list: InspectedContainer[] = [];
  try {
    const parsed = JSON.parse(json ?? '[]') as unknown;
    if (Array.isArray(parsed)) list = parsed as InspectedContainer[];
  } catch {
    return undefined;
  }
  const statuses = list.flatMap((c): Status[] => {
    const name = c.Name === containers.client ? 'client' : c.Name === containers.server ? 'server' : undefined;
    if (!name || !c.State) return [];
    const s = c.State;
    if (s.Running || s.Status === 'running') return [{ name, state: { running: {} } }];
    if (s.Status === 'exited' || s.Status === 'stopped') {
      const exitCode = s.ExitCode ?? 0;
      const reason = s.OOMKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
      return [{ name, state: { terminated: { exitCode, reason, ...(s.Error ? { message: s.Error } : {}) } } }];
    }
    return [{ name, state: { waiting: { reason: s.Status ?? 'unknown' } } }];
  });
  return { status: { containerStatuses: statuses } };
}
