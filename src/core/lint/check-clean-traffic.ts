import type { FilterLookup } from '../instantiate/types';
import type { FilterDoc } from '../model/types';
import type { Report } from './check-rules';
import { LINT_CODES } from './lint-codes';
import type { LintRef } from './types';
import { walkFilterTree } from './walk-filter-tree';
import { collect, defineCheck } from './lint-check';

const CLEAN_TRAFFIC = ['clean-traffic', 'clean-traffic-gateway'];

/** A reference to clean-traffic in the filter tree, and whether it leaves the VM's IP to learning. */
export interface CleanTrafficRef {
  at: LintRef;
  learning: boolean;
}

/** clean-traffic references: IP learning and DHCP trust. */
export function checkCleanTraffic(
  lookup: FilterLookup,
  root: FilterDoc,
  vars: ReadonlyMap<string, readonly string[]>,
  report: Report,
): CleanTrafficRef[] {
  const refs: CleanTrafficRef[] = [];
  walkFilterTree(lookup, root, vars, {
    ref(doc, ref, entryIndex, child, childVars) {
      if (!child || !CLEAN_TRAFFIC.includes(child.name)) return;
      const at: LintRef = { filter: doc.name, ruleIndex: null, entryIndex };
      const mode = (childVars.get('CTRL_IP_LEARNING')?.[0] ?? 'any').toLowerCase();
      const hasIp = childVars.has('IP');
      refs.push({ at, learning: !hasIp });
      if (!hasIp) {
        const message =
          mode === 'none'
            ? `${ref.filter} uses $IP, which has no value, and CTRL_IP_LEARNING='none' turns learning off: libvirt refuses to start the interface's filter. Pass IP='…'.`
            : mode === 'dhcp'
              ? `${ref.filter} is referenced without IP: libvirt takes the VM's addresses from the DHCP leases it snoops (CTRL_IP_LEARNING='dhcp'). Until the VM completes a DHCP exchange it may send from no address, and a VM with a static address never gets one. Pass IP='…' to pin the address.`
              : `${ref.filter} is referenced without IP, so libvirt learns the VM's address from the first IPv4 packet the VM sends (CTRL_IP_LEARNING='any'): until then only libvirt's learning rules apply instead of this filter, the first address seen is locked in (whatever the VM sends first, including a spoofed one), and the VM cannot change its address later — a new one counts as spoofing. Pass IP='…' to pin it.`;
        report({
          ...at,
          code: LINT_CODES.CLEAN_TRAFFIC_NO_IP.code,
          severity: mode === 'none' ? 'error' : LINT_CODES.CLEAN_TRAFFIC_NO_IP.severity,
          message,
        });
        if (mode === 'dhcp' && !childVars.has('DHCPSERVER')) {
          report({
            ...at,
            code: LINT_CODES.CLEAN_TRAFFIC_DHCP.code,
            severity: LINT_CODES.CLEAN_TRAFFIC_DHCP.severity,
            message:
              "CTRL_IP_LEARNING='dhcp' without DHCPSERVER: libvirt trusts a DHCP answer from any host, so another VM on the segment that answers first can hand this VM an address that libvirt then locks in. " +
              'Set DHCPSERVER to the trusted server(s) and reference allow-dhcp-server, which accepts answers only from them.',
          });
        }
      }
    },
  });
  return refs;
}

/** NWF501/NWF502 at each clean-traffic reference. */
export const cleanTrafficBinding = defineCheck(
  'clean-traffic-binding',
  'tree',
  ['CLEAN_TRAFFIC_NO_IP', 'CLEAN_TRAFFIC_DHCP'],
  (ctx) => collect((r) => checkCleanTraffic(ctx.lookup, ctx.root, ctx.vars, r)),
);
