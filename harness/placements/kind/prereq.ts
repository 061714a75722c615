/**
 * Can the kind placement run here? It needs a reachable Docker engine (kind's nodes are
 * containers), the `kind` CLI and `kubectl`. The check takes a few seconds at most and
 * creates nothing: tools are found on PATH without running them, and the only command it
 * runs is `docker info` (bounded by a timeout), which asks the engine and changes nothing.
 * The verdict (`diagnose`) is a pure function of what was found, so each message is tested
 * without a machine that lacks the tool.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Availability } from '../../availability.js';

/** `docker info` against an unreachable TCP DOCKER_HOST can hang on connect; 4 s keeps `check()` fast. */
export const DOCKER_INFO_TIMEOUT_MS = 4000;

export type EngineFinding = { ok: true; serverVersion: string } | { ok: false; error: string };

export interface PrereqFindings {
  /** Absolute paths on PATH, undefined when not found. */
  docker: string | undefined;
  kind: string | undefined;
  kubectl: string | undefined;
  /** What `docker info` said; undefined when the docker CLI is missing (nothing to ask). */
  engine: EngineFinding | undefined;
}

export const FIX = {
  dockerCli: 'the Docker CLI is not on PATH: install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop, then check that `docker info` works',
  engine: (error: string): string =>
    `no Docker engine is reachable (\`docker info\` says: ${error}): start it (\`sudo systemctl start docker\`, or open Docker Desktop), ` +
    `make sure your user may use it (the \`docker\` group, or DOCKER_HOST pointing at a running engine); kind runs its Kubernetes node as a container`,
  kind: 'kind is not on PATH: install it with `go install sigs.k8s.io/kind@v0.30.0`, or put a release binary on PATH (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)',
  kubectl: 'kubectl is not on PATH: install it (https://kubernetes.io/docs/tasks/tools/), e.g. your distribution\'s `kubectl` package',
} as const;

/** The verdict: every missing prerequisite with its fix, in the order to fix them. */
export function diagnose(f: PrereqFindings): Availability {
  const missing: string[] = [];
  if (!f.docker) missing.push(FIX.dockerCli);
  else if (f.engine && !f.engine.ok) missing.push(FIX.engine(f.engine.error));
  if (!f.kind) missing.push(FIX.kind);
  if (!f.kubectl) missing.push(FIX.kubectl);
  if (missing.length === 0) return { ok: true };
  const list = missing.length === 1 ? missing[0]! : missing.map((m, i) => `(${i + 1}) ${m}`).join('; ');
  return {
    ok: false,
    reason: `the kind placement needs a running Docker engine, kind and kubectl; ${list}. Nothing was created. See k8s/README.md.`,
  };
}

/** Where `name` is on PATH (an executable regular file), as `command -v` would say. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Ask the engine for its version; any failure (refused, timeout, permission) is the error text. */
export function askEngine(docker: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = DOCKER_INFO_TIMEOUT_MS): Promise<EngineFinding> {
  return new Promise((resolve) => {
    execFile(docker, ['info', '--format', '{{.ServerVersion}}'], { env, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const version = String(stdout).trim();
      if (!err && version) return resolve({ ok: true, serverVersion: version });
      const killed = (err as (Error & { killed?: boolean }) | null)?.killed;
      if (killed) return resolve({ ok: false, error: `no answer within ${timeoutMs / 1000} s` });
      const text = String(stderr).trim().split('\n').filter(Boolean).pop() ?? (err?.message ?? 'no server version reported');
      resolve({ ok: false, error: text });
    });
  });
}

export async function findPrerequisites(env: NodeJS.ProcessEnv = process.env): Promise<PrereqFindings> {
  const docker = findOnPath('docker', env);
  return {
    docker,
    kind: findOnPath('kind', env),
    kubectl: findOnPath('kubectl', env),
    engine: docker ? await askEngine(docker, env) : undefined,
  };
}

export async function checkPrerequisites(env: NodeJS.ProcessEnv = process.env): Promise<Availability> {
  return diagnose(await findPrerequisites(env));
}
