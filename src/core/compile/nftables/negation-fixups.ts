import type { Rule } from '../../model/types';

/**
 * libvirt copies the negation of some attributes onto others after parsing
 * (virNWFilterRuleDefFixup, shared by every firewall driver): masks follow their address, range ends
 * follow their start, and — a long-standing libvirt quirk — the destination port follows the SOURCE
 * port. Returns the overridden negations.
 */
export function negationFixups(rule: Rule): Record<string, boolean> {
  const n = (k: string) => rule.attrs[k]?.negated ?? false;
  const out: Record<string, boolean> = {
    srcmacmask: n('srcmacaddr'),
    dstmacmask: n('dstmacaddr'),
    srcipmask: n('srcipaddr'),
    dstipmask: n('dstipaddr'),
    srcipto: n('srcipfrom'),
    dstipto: n('dstipfrom'),
  };
  const p = rule.protocol ?? '';
  if (/^(tcp|udp|sctp)/.test(p)) {
    out.srcportend = n('srcportstart');
    out.dstportstart = n('srcportstart');
    out.dstportend = n('srcportstart');
  }
  if (p === 'icmp' || p === 'icmpv6') out.code = n('type');
  if (p === 'ipv6') {
    out.typeend = n('type');
    out.code = n('type');
    out.codeend = n('type');
  }
  if (p === 'stp') {
    const pairs = [
      ['root-priority', 'root-priority-hi'],
      ['root-address', 'root-address-mask'],
      ['root-cost', 'root-cost-hi'],
      ['sender-priority', 'sender-priority-hi'],
      ['sender-address', 'sender-address-mask'],
      ['port', 'port-hi'],
      ['age', 'age-hi'],
      ['max-age', 'max-age-hi'],
      ['hello-time', 'hello-time-hi'],
      ['forward-delay', 'forward-delay-hi'],
    ] as const;
    for (const [lo, hi] of pairs) out[hi] = n(lo);
  }
  return out;
}
