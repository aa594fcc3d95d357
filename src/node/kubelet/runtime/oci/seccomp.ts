// Seccomp profiles in Docker's format (moby profiles/seccomp, containers/common pkg/seccomp:
// /usr/share/containers/seccomp.json) turned into the OCI `linux.seccomp` runc loads. The
// conversion follows setupSeccomp in moby profiles/seccomp/seccomp_linux.go and
// containers/common pkg/seccomp/seccomp_linux.go: rules are kept or left out by the
// container's bounding capabilities, its architecture and the kernel version.
import { constants } from 'node:os';
import type { OciSeccomp, OciSeccompArg, OciSyscall } from './types.js';

export interface SeccompFilter {
  caps?: string[] | null;
  arches?: string[] | null;
  /** "<kernel>.<major>", e.g. "5.8" (moby's KernelVersion). */
  minKernel?: string | null;
}

export interface SeccompRule {
  name?: string;
  names?: string[] | null;
  action: string;
  args?: OciSeccompArg[] | null;
  comment?: string;
  includes?: SeccompFilter | null;
  excludes?: SeccompFilter | null;
  errnoRet?: number | null;
  /** containers/common: an errno by name ("EPERM") or number, taking precedence over errnoRet. */
  errno?: string | null;
}

/** A profile file as Docker, containers/common and the OCI format itself write it. */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number | null;
  defaultErrno?: string | null;
  architectures?: string[] | null;
  archMap?: Array<{ architecture: string; subArchitectures?: string[] | null }> | null;
  syscalls?: SeccompRule[] | null;
  flags?: string[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
}

export interface SeccompTarget {
  /** The container's bounding capabilities (CAP_ names): includes/excludes test these. */
  capabilities: readonly string[];
  /** Go's GOARCH name of the machine ("amd64"), which moby's rules use in includes/excludes. */
  arch?: string;
  /** `uname -r`; needed only when a rule has a minKernel. */
  kernelRelease?: string;
}

/** moby profiles/seccomp/seccomp_linux.go goToNative: GOARCH → the arch names rules use. */
const GO_TO_NATIVE: Record<string, string> = {
  '386': 'x86',
  amd64: 'amd64',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loongarch64',
  mips64: 'mips64',
  mips64p32: 'mips64n32',
  mips64le: 'mipsel64',
  mips64p32le: 'mips3l64n32',
  mipsle: 'mipsel',
  ppc: 'ppc',
  ppc64: 'ppc64',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};

/** moby profiles/seccomp/seccomp_linux.go nativeToSeccomp: native arch → libseccomp's name in archMap. */
const NATIVE_TO_SECCOMP: Record<string, string> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  loongarch64: 'SCMP_ARCH_LOONGARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32',
  mipsle: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

/**
 * The OCI seccomp section for a container, or undefined when the profile asks for none (no
 * default action and no rules, as upstream treats it). Throws on the profile errors upstream
 * rejects: both architectures and archMap, both name and names, an unknown errno name.
 */
export function seccompForContainer(profile: SeccompProfile, target: SeccompTarget): OciSeccomp | undefined {
  const rules = profile.syscalls ?? [];
  if (!profile.defaultAction && rules.length === 0) return undefined;
  if ((profile.architectures?.length ?? 0) > 0 && (profile.archMap?.length ?? 0) > 0) {
    throw new Error("seccomp profile: both 'architectures' and 'archMap' are specified, use either 'architectures' or 'archMap'");
  }
  const goArch = target.arch ?? 'amd64';
  const native = GO_TO_NATIVE[goArch] ?? goArch;
  const out: OciSeccomp = { defaultAction: profile.defaultAction };

  const architectures = [...(profile.architectures ?? [])];
  const scmpArch = NATIVE_TO_SECCOMP[native];
  const mapped = scmpArch ? profile.archMap?.find((a) => a.architecture === scmpArch) : undefined;
  if (mapped) architectures.push(mapped.architecture, ...(mapped.subArchitectures ?? []));
  if (architectures.length > 0) out.architectures = architectures;

  const defaultErrno = errnoValue(profile.defaultErrno, profile.defaultErrnoRet);
  if (defaultErrno !== undefined) out.defaultErrnoRet = defaultErrno;
  if (profile.flags?.length) out.flags = [...profile.flags];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;

  const caps = new Set(target.capabilities);
  const syscalls: OciSyscall[] = [];
  for (const rule of rules) {
    if (!applies(rule, native, caps, target.kernelRelease)) continue;
    if (rule.name && rule.names?.length) {
      throw new Error(`seccomp profile: both 'name' (${rule.name}) and 'names' are specified, use either 'name' or 'names'`);
    }
    const call: OciSyscall = { names: rule.name ? [rule.name] : [...(rule.names ?? [])], action: rule.action };
    const errno = errnoValue(rule.errno, rule.errnoRet);
    if (errno !== undefined) call.errnoRet = errno;
    if (rule.args?.length) call.args = rule.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    syscalls.push(call);
  }
  out.syscalls = syscalls;
  return out;
}

/** Whether a rule's excludes and includes let it into this container's filter (setupSeccomp's Loop). */
function applies(rule: SeccompRule, arch: string, caps: ReadonlySet<string>, kernelRelease: string | undefined): boolean {
  const ex = rule.excludes;
  if (ex) {
    if (ex.arches?.length && ex.arches.includes(arch)) return false;
    if (ex.caps?.length && ex.caps.some((c) => caps.has(c))) return false;
    if (ex.minKernel && kernelAtLeast(kernelRelease, ex.minKernel)) return false;
  }
  const inc = rule.includes;
  if (inc) {
    if (inc.arches?.length && !inc.arches.includes(arch)) return false;
    if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) return false;
    if (inc.minKernel && !kernelAtLeast(kernelRelease, inc.minKernel)) return false;
  }
  return true;
}

/** moby profiles/seccomp/kernel_linux.go: compares "<kernel>.<major>" of `uname -r` with a minKernel. */
function kernelAtLeast(release: string | undefined, min: string): boolean {
  if (release === undefined) throw new Error(`seccomp profile: a rule needs kernel >= ${min} but the kernel version was not given`);
  const want = /^(\d+)\.(\d+)$/.exec(min);
  if (!want) throw new Error(`seccomp profile: invalid kernel version ${JSON.stringify(min)}, expected "<kernel>.<major>"`);
  const have = /^(\d+)\.(\d+)/.exec(release);
  if (!have) throw new Error(`seccomp: failed to parse kernel version ${JSON.stringify(release)}`);
  const [hk, hm, wk, wm] = [have[1], have[2], want[1], want[2]].map(Number);
  return hk > wk || (hk === wk && hm >= wm);
}

/**
 * containers/common getErrno: a name ("EPERM") or decimal string wins over the numeric field.
 * Names resolve through Node's table of this platform's errno values (Linux's on Linux).
 */
function errnoValue(name: string | null | undefined, ret: number | null | undefined): number | undefined {
  if (name) {
    if (/^\d+$/.test(name)) return Number(name);
    const v = (constants.errno as Record<string, number | undefined>)[name];
    if (v === undefined) throw new Error(`seccomp profile: unknown errno ${name}`);
    return v;
  }
  return ret ?? undefined;
}
