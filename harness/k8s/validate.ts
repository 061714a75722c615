/**
 * Offline checks of rendered objects: the Kubernetes API schema (via `kubernetes-models`,
 * which carries the OpenAPI definitions and validates wrong types, unknown enum values and
 * missing required fields) and the restricted Pod Security profile (`pod-security.ts`).
 * `kubernetes-models` is a development dependency: an install without it (npm ci
 * --omit=dev) still renders, and says the schema check was skipped.
 */
import type { K8sObject } from './render.js';
import { checkRestricted, declaredExceptions, undeclaredViolations } from './pod-security.js';
import type { IPod } from 'kubernetes-models/v1/Pod';

export interface SchemaReport {
  /** False when kubernetes-models is not installed. */
  available: boolean;
  checked: number;
  /** `Pod/name: message` per invalid object. */
  errors: string[];
}

type Validator = (o: K8sObject) => void;

async function loadValidator(): Promise<Validator | undefined> {
  try {
    const v1 = await import('kubernetes-models/v1');
    return (o) => {
      // The model classes validate against the OpenAPI schema of their kind.
      if (o.kind === 'Pod') new v1.Pod(o).validate();
      else if (o.kind === 'Service') new v1.Service(o).validate();
      else if (o.kind === 'Namespace') new v1.Namespace(o).validate();
      else throw new Error(`no schema for kind ${(o as { kind: string }).kind}`);
    };
  } catch {
    return undefined;
  }
}

export async function validateSchemas(objects: readonly K8sObject[]): Promise<SchemaReport> {
  const validate = await loadValidator();
  if (!validate) return { available: false, checked: 0, errors: [] };
  const errors: string[] = [];
  for (const o of objects) {
    try {
      validate(o);
    } catch (err) {
      errors.push(`${o.kind}/${o.metadata?.name ?? '?'}: ${(err as Error).message}`);
    }
  }
  return { available: true, checked: objects.length, errors };
}

export interface PodSecurityReport {
  restricted: string[];
  /** Pods that break restricted and say why in their annotation: `name (rules)`. */
  withExceptions: string[];
  /** Pods that break restricted without saying so: always a bug. */
  undeclared: string[];
}

export function podSecurityReport(objects: readonly K8sObject[]): PodSecurityReport {
  const report: PodSecurityReport = { restricted: [], withExceptions: [], undeclared: [] };
  for (const o of objects) {
    if (o.kind !== 'Pod') continue;
    const pod = o as IPod;
    const name = pod.metadata?.name ?? '?';
    const bad = undeclaredViolations(pod);
    if (bad.length > 0) report.undeclared.push(`${name}: ${bad.map((v) => `${v.rule} at ${v.field}`).join(', ')}`);
    else if (checkRestricted(pod).length > 0) report.withExceptions.push(`${name} (${[...declaredExceptions(pod)].join(', ')})`);
    else report.restricted.push(name);
  }
  return report;
}
