/** The host profile: FTP helper, bridge address, sysctls, ipsets, sysctl changes during a run. */
export {
  parseHostProfile,
  serializeHostProfile,
  describeHostSysctls,
  checkBridgeAddress,
  checkKernelRelease,
  DEFAULT_HOST_PROFILE,
  HOST_CODES,
} from './host-profile';
export type { HostProfile, HostEvent } from './host-profile';
export { HOST_SYSCTLS, lookupHostSysctl, checkHostSysctl } from './host-sysctls';
export type { HostSysctlInfo, SysctlEffect } from './host-sysctls';
export {
  IPSET_TYPES,
  IPSET_PORT_PROTOCOLS,
  checkIpset,
  ipsetDimension,
  ipsetFamily,
  isIpsetType,
  parseIpsetMember,
  splitIpsetMembers,
} from './host-ipsets';
export type { IpsetSpec, IpsetType, IpsetMember } from './host-ipsets';
export { hostRuntimeOf, applyHostOverrides, simSettingsOf } from './host-settings';
export type {
  HostRuntime,
  HostRuntimeEvent,
  HostOverrides,
  BridgeNfSettings,
} from './host-settings';
export {
  findMissingIpsets,
  describeMissingIpset,
  findMissingKernelFeatures,
  describeMissingKernelFeature,
  missingIpsetDiagnostic,
  IPSET_MISSING_CODE,
} from './host-binding';
export type { MissingKernelFeature } from './host-binding';
export type { MissingIpset } from './host-binding';
export { kernelFacts, parseKernelRelease, DEFAULT_KERNEL_RELEASE } from './kernel-release';
export type { KernelFacts } from './kernel-release';
