/**
 * The Kubernetes Pod Security Standards, `restricted` profile (which includes `baseline`),
 * as a pure check over a Pod object: one function per control, each returning the fields
 * that break it. The renderer runs it on every pod it writes and refuses a pod whose
 * violations are not declared as exceptions in the pod's annotation; the tests run it rule
 * by rule.
 *
 * Source: https://kubernetes.io/docs/concepts/security/pod-security-standards/ (policy
 * version "latest"; the safe sysctl list is the v1.32+ one).
 */
import type { IPod } from 'kubernetes-models/v1/Pod';

export type RestrictedRule =
  // baseline
  | 'hostProcess'
  | 'hostNamespaces'
  | 'privileged'
  | 'capabilitiesBaseline'
  | 'hostPathVolumes'
  | 'hostPorts'
  | 'appArmor'
  | 'seLinux'
  | 'procMount'
  | 'seccompBaseline'
  | 'sysctls'
  // restricted
  | 'volumeTypes'
  | 'privilegeEscalation'
  | 'runAsNonRoot'
  | 'runAsUser'
  | 'seccompRestricted'
  | 'capabilitiesRestricted';

export const RESTRICTED_RULES: readonly RestrictedRule[] = [
  'hostProcess',
  'hostNamespaces',
  'privileged',
  'capabilitiesBaseline',
  'hostPathVolumes',
  'hostPorts',
  'appArmor',
  'seLinux',
  'procMount',
  'seccompBaseline',
  'sysctls',
  'volumeTypes',
  'privilegeEscalation',
  'runAsNonRoot',
  'runAsUser',
  'seccompRestricted',
  'capabilitiesRestricted',
];

export interface PodSecurityViolation {
  rule: RestrictedRule;
  /** Where, as a path into the pod: `spec.containers[server].securityContext.privileged`. */
  field: string;
  detail: string;
}

/** The annotation a pod carries when it needs more than `restricted`; it names each rule and why. */
export const EXCEPTION_ANNOTATION = 'podipc.dev/pod-security-exceptions';
/** The annotation of a pod that meets `restricted` with no exceptions. */
export const PROFILE_ANNOTATION = 'podipc.dev/pod-security';

/** Sysctls the baseline profile allows: namespaced and isolated per pod by the kernel. */
export const SAFE_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);

/** Capabilities baseline lets a container add (the container runtime's default set). */
const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

const ALLOWED_VOLUME_TYPES: ReadonlySet<string> = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

const ALLOWED_SELINUX_TYPES: ReadonlySet<string> = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

type PodSpec = NonNullable<IPod['spec']>;
type Container = PodSpec['containers'][number];
type SecurityContext = NonNullable<Container['securityContext']>;

interface ContainerRef {
  path: string;
  container: Container;
}

function allContainers(spec: PodSpec): ContainerRef[] {
  const refs: ContainerRef[] = [];
  for (const c of spec.initContainers ?? []) refs.push({ path: `spec.initContainers[${c.name}]`, container: c });
  for (const c of spec.containers) refs.push({ path: `spec.containers[${c.name}]`, container: c });
  for (const c of spec.ephemeralContainers ?? []) refs.push({ path: `spec.ephemeralContainers[${c.name}]`, container: c as Container });
  return refs;
}

type Check = (spec: PodSpec, pod: IPod) => Omit<PodSecurityViolation, 'rule'>[];

const checks: Record<RestrictedRule, Check> = {
  hostProcess(spec) {
    const out: Omit<PodSecurityViolation, 'rule'>[] = [];
    if (spec.securityContext?.windowsOptions?.hostProcess) {
      out.push({ field: 'spec.securityContext.windowsOptions.hostProcess', detail: 'must be unset or false' });
    }
    for (const { path, container } of allContainers(spec)) {
      if (container.securityContext?.windowsOptions?.hostProcess) {
        out.push({ field: `${path}.securityContext.windowsOptions.hostProcess`, detail: 'must be unset or false' });
      }
    }
    return out;
  },
  hostNamespaces(spec) {
    return (['hostNetwork', 'hostPID', 'hostIPC'] as const)
      .filter((k) => spec[k] === true)
      .map((k) => ({ field: `spec.${k}`, detail: 'host namespaces must not be shared' }));
  },
  privileged(spec) {
    return allContainers(spec)
      .filter(({ container }) => container.securityContext?.privileged === true)
      .map(({ path }) => ({ field: `${path}.securityContext.privileged`, detail: 'must be unset or false' }));
  },
  capabilitiesBaseline(spec) {
    const out: Omit<PodSecurityViolation, 'rule'>[] = [];
    for (const { path, container } of allContainers(spec)) {
      for (const cap of container.securityContext?.capabilities?.add ?? []) {
        if (!BASELINE_CAPABILITIES.has(cap)) out.push({ field: `${path}.securityContext.capabilities.add`, detail: `adds ${cap}` });
      }
    }
    return out;
  },
  hostPathVolumes(spec) {
    return (spec.volumes ?? [])
      .filter((v) => v.hostPath !== undefined)
      .map((v) => ({ field: `spec.volumes[${v.name}].hostPath`, detail: 'hostPath volumes are forbidden' }));
  },
  hostPorts(spec) {
    const out: Omit<PodSecurityViolation, 'rule'>[] = [];
    for (const { path, container } of allContainers(spec)) {
      for (const port of container.ports ?? []) {
        if (port.hostPort !== undefined && port.hostPort !== 0) {
          out.push({ field: `${path}.ports[${port.containerPort}].hostPort`, detail: `hostPort ${port.hostPort}` });
        }
      }
    }
    return out;
  },
  appArmor(spec, pod) {
    const out: Omit<PodSecurityViolation, 'rule'>[] = [];
    const okType = (t: string | undefined): boolean => t === undefined || t === 'RuntimeDefault' || t === 'Localhost';
    if (!okType(spec.securityContext?.appArmorProfile?.type)) {
      out.push({ field: 'spec.securityContext.appArmorProfile.type', detail: `${spec.securityContext?.appArmorProfile?.type}` });
    }
    for (const { path, container } of allContainers(spec)) {
      const t = container.securityContext?.appArmorProfile?.type;
      if (!okType(t)) out.push({ field: `${path}.securityContext.appArmorProfile.type`, detail: `${t}` });
    }
    for (const [key, value] of Object.entries(pod.metadata?.annotations ?? {})) {
      if (!key.startsWith('container.apparmor.security.beta.kubernetes.io/')) continue;
      if (value !== 'runtime/default' && !value.startsWith('localhost/')) out.push({ field: `metadata.annotations[${key}]`, detail: value });
    }
    return out;
  },
  seLinux(spec) {
    const out: Omit<PodSecurityViolation, 'rule'>[] = [];
    const inspect = (field: string, options: SecurityContext['seLinuxOptions']): void => {
      if (!options) return;
      if (options.type !== undefined && !ALLOWED_SELINUX_TYPES.has(options.type)) out.push({ field: `${field}.type`, detail: options.type });
      if (options.user) out.push({ field: `${field}.user`, detail: 'must be unset' });
      if (options.role) out.push({ field: `${field}.role`, detail: 'must be unset' });
    };
    inspect('spec.securityContext.seLinuxOptions', spec.securityContext?.seLinuxOptions);
    for (const { path, container } of allContainers(spec)) inspect(`${path}.securityContext.seLinuxOptions`, container.securityContext?.seLinuxOptions);
    return out;
  },
  procMount(spec) {
    return allContainers(spec)
      .filter(({ container }) => {
        const m = container.securityContext?.procMount;
        return m !== undefined && m !== 'Default';
      })
      .map(({ path, container }) => ({ field: `${path}.securityContext.procMount`, detail: `${container.securityContext?.procMount}` }));
  },
  seccompBaseline(spec) {
    const out: Omit<PodSecurityViolation, 'rule'>[] = [];
    if (spec.securityContext?.seccompProfile?.type === 'Unconfined') {
      out.push({ field: 'spec.securityContext.seccompProfile.type', detail: 'Unconfined' });
    }
    for (const { path, container } of allContainers(spec)) {
      if (container.securityContext?.seccompProfile?.type === 'Unconfined') {
        out.push({ field: `${path}.securityContext.seccompProfile.type`, detail: 'Unconfined' });
      }
    }
    return out;
  },
  sysctls(spec) {
    return (spec.securityContext?.sysctls ?? [])
      .filter((s) => !SAFE_SYSCTLS.has(s.name))
      .map((s) => ({ field: `spec.securityContext.sysctls[${s.name}]`, detail: `${s.name}=${s.value} is not a safe sysctl` }));
  },
  volumeTypes(spec) {
    const out: Omit<PodSecurityViolation, 'rule'>[] = [];
    for (const v of spec.volumes ?? []) {
      for (const key of Object.keys(v)) {
        if (key !== 'name' && !ALLOWED_VOLUME_TYPES.has(key)) out.push({ field: `spec.volumes[${v.name}].${key}`, detail: `volume type ${key}` });
      }
    }
    return out;
  },
  privilegeEscalation(spec) {
    return allContainers(spec)
      .filter(({ container }) => container.securityContext?.allowPrivilegeEscalation !== false)
      .map(({ path }) => ({ field: `${path}.securityContext.allowPrivilegeEscalation`, detail: 'must be false' }));
  },
  runAsNonRoot(spec) {
    const podLevel = spec.securityContext?.runAsNonRoot === true;
    const out: Omit<PodSecurityViolation, 'rule'>[] = [];
    for (const { path, container } of allContainers(spec)) {
      const own = container.securityContext?.runAsNonRoot;
      if (own === false) out.push({ field: `${path}.securityContext.runAsNonRoot`, detail: 'must not be false' });
      else if (own !== true && !podLevel) out.push({ field: `${path}.securityContext.runAsNonRoot`, detail: 'must be true here or at pod level' });
    }
    return out;
  },
  runAsUser(spec) {
    const out: Omit<PodSecurityViolation, 'rule'>[] = [];
    if (spec.securityContext?.runAsUser === 0) out.push({ field: 'spec.securityContext.runAsUser', detail: 'must not be 0' });
    for (const { path, container } of allContainers(spec)) {
      if (container.securityContext?.runAsUser === 0) out.push({ field: `${path}.securityContext.runAsUser`, detail: 'must not be 0' });
    }
    return out;
  },
  seccompRestricted(spec) {
    const ok = (t: string | undefined): boolean => t === 'RuntimeDefault' || t === 'Localhost';
    const podOk = ok(spec.securityContext?.seccompProfile?.type);
    const out: Omit<PodSecurityViolation, 'rule'>[] = [];
    for (const { path, container } of allContainers(spec)) {
      const own = container.securityContext?.seccompProfile?.type;
      if (own !== undefined ? !ok(own) : !podOk) {
        out.push({ field: `${path}.securityContext.seccompProfile.type`, detail: 'must be RuntimeDefault or Localhost here or at pod level' });
      }
    }
    return out;
  },
  capabilitiesRestricted(spec) {
    const out: Omit<PodSecurityViolation, 'rule'>[] = [];
    for (const { path, container } of allContainers(spec)) {
      const caps = container.securityContext?.capabilities;
      if (!(caps?.drop ?? []).includes('ALL')) out.push({ field: `${path}.securityContext.capabilities.drop`, detail: 'must include ALL' });
      for (const cap of caps?.add ?? []) {
        if (cap !== 'NET_BIND_SERVICE') out.push({ field: `${path}.securityContext.capabilities.add`, detail: `may add only NET_BIND_SERVICE, not ${cap}` });
      }
    }
    return out;
  },
};

/** Every way the pod breaks the restricted profile; empty when it complies. */
export function checkRestricted(pod: IPod): PodSecurityViolation[] {
  const spec = pod.spec;
  if (!spec) return [{ rule: 'runAsNonRoot', field: 'spec', detail: 'a pod without a spec cannot be checked' }];
  return RESTRICTED_RULES.flatMap((rule) => checks[rule](spec, pod).map((v) => ({ rule, ...v })));
}

/**
 * The rules a pod declares it breaks, read from its exception annotation
 * (`<rule>: <why>` entries separated by `; `).
 */
export function declaredExceptions(pod: IPod): Set<RestrictedRule> {
  const text = pod.metadata?.annotations?.[EXCEPTION_ANNOTATION] ?? '';
  const rules = new Set<RestrictedRule>();
  for (const entry of text.split(/;\s*/)) {
    const rule = entry.split(':')[0]?.trim() as RestrictedRule | undefined;
    if (rule && (RESTRICTED_RULES as readonly string[]).includes(rule)) rules.add(rule);
  }
  return rules;
}

/** Violations the pod does not declare: must be empty for every pod podipc renders. */
export function undeclaredViolations(pod: IPod): PodSecurityViolation[] {
  const declared = declaredExceptions(pod);
  return checkRestricted(pod).filter((v) => !declared.has(v.rule));
}
