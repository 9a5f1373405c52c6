/**
 * libvirt's address learning for one port as a state machine over the frames the port sees:
 * `any` (learnIPAddressThread: the first address found ends learning for good) and `dhcp`
 * (the DHCP snooping thread: leases from DHCPACKs, renewed, released, expired, for the
 * binding's whole life). The caller runs the frames through the rules and rebuilds them when
 * {@link IpLearner.addresses} changes.
 */
import type { EthernetFrame } from '../packet';
import { parseMac } from '../packet';
import { anyLearnerHit, dhcpMessageName, snoopDhcp } from './observe-frame';
import type { LearnedHow } from './observe-frame';
import type { LearningPlan } from './learning-plan';
import { SnoopRateLimiter, snoopCaptures } from './snoop-rate-limit';

/** Something the learner did, in time order. `packet` is the index of the frame that caused it. */
export type LearningEvent =
  | {
      kind: 'learned';
      ip: string;
      how: LearnedHow;
      /** The DHCP message or packet that taught it (`DHCPACK`, `IPv4 from the VM`). */
      what: string;
      packet: number;
      t: number;
      /** `dhcp` mode: when the lease ends (null: infinite). */
      until?: number | null;
    }
  | { kind: 'renewed'; ip: string; packet: number; t: number; until: number | null }
  | { kind: 'expired'; ip: string; t: number }
  /** `dhcp`: the snooper threw the packet away, `over` packets beyond its rate limit. */
  | { kind: 'rate-limited'; side: PortView['side']; packet: number; t: number; over: number }
  | { kind: 'released'; ip: string; how: 'release' | 'decline'; packet: number; t: number };

/** Whether libvirt's capture sees a frame: from the VM always, to the VM only once delivered. */
export interface PortView {
  side: 'from-vm' | 'to-vm';
  /** The frame left the bridge towards the VM (its verdict was accept). */
  delivered: boolean;
}

export class IpLearner {
  private readonly vmMac: number;
  /** `any`: the address, once found. */
  private found: string | null = null;
  /** `dhcp`: leases by address, with their end (null: infinite). */
  private readonly leases = new Map<string, number | null>();
  /**
   * `dhcp`: the first address ever learned. libvirt puts it into the binding's parameters as `IP`
   * when it first rebuilds the rules (virNWFilterVarHashmapAddStdValue on the snoop request's
   * copy of the binding) and never takes it out, so every later rebuild uses it again.
   */
  private sticky: string | null = null;
  /** `dhcp`: the rate limits of the snooper's two captures (from the VM, to the VM). */
  private readonly limits = {
    'from-vm': new SnoopRateLimiter(0),
    'to-vm': new SnoopRateLimiter(0),
  };

  constructor(readonly plan: LearningPlan) {
    this.vmMac = parseMac(plan.mac) ?? -1;
  }

  /**
   * The `IP` the rules are built with now (empty while learning): under `dhcp` the first address
   * learned, as long as any lease is active — a second lease, for another address, does not
   * change the rules (checked on real libvirt 9.0, see README.md).
   */
  addresses(): string[] {
    if (this.plan.mode === 'any') return this.found ? [this.found] : [];
    return this.leases.size > 0 && this.sticky ? [this.sticky] : [];
  }

  /** `dhcp`: the addresses with an active lease, in the order they were learned. */
  leased(): string[] {
    return [...this.leases.keys()];
  }

  /** Whether a frame can still teach something: `any` stops listening once it learned. */
  get listening(): boolean {
    return this.plan.mode === 'dhcp' || this.found === null;
  }

  /** `dhcp`: the leases that ran out by `now` (libvirt's lease timer), in order. */
  expire(now: number): LearningEvent[] {
    const out: LearningEvent[] = [];
    for (const [ip, until] of [...this.leases].sort(
      (a, b) => (a[1] ?? Infinity) - (b[1] ?? Infinity),
    )) {
      if (until !== null && until <= now) {
        this.leases.delete(ip);
        out.push({ kind: 'expired', ip, t: until });
      }
    }
    return out;
  }

  /** The learner reads frame number `packet` the port saw at `t`. */
  observe(frame: EthernetFrame, view: PortView, packet: number, t: number): LearningEvent[] {
    if (view.side === 'to-vm' && !view.delivered) return [];
    if (this.plan.mode === 'any') {
      if (this.found) return [];
      const hit = anyLearnerHit(frame, this.vmMac);
      if (!hit) return [];
      this.found = hit.ip;
      const what =
        hit.how === 'ipv4-source'
          ? 'IPv4 from the VM'
          : hit.how === 'dhcp-ack'
            ? 'DHCPACK'
            : 'DHCPOFFER';
      return [{ kind: 'learned', ip: hit.ip, how: hit.how, what, packet, t }];
    }
    const fromVm = view.side === 'from-vm';
    if (!snoopCaptures(frame, this.vmMac, fromVm)) return [];
    const { over } = this.limits[view.side].admit(t);
    if (over > 0) return [{ kind: 'rate-limited', side: view.side, packet, t, over }];
    const ev = snoopDhcp(frame, this.vmMac, fromVm);
    if (!ev) return [];
    if (ev.kind === 'ack') {
      const until = ev.lease === null ? null : t + ev.lease;
      if (this.leases.has(ev.ip)) {
        const old = this.leases.get(ev.ip) as number | null;
        // virNWFilterSnoopIPLeaseUpdate: "no take-backs" — a shorter lease never shortens it.
        if (old !== null && (until === null || until > old)) this.leases.set(ev.ip, until);
        return [{ kind: 'renewed', ip: ev.ip, packet, t, until: this.leases.get(ev.ip) ?? null }];
      }
      this.leases.set(ev.ip, until);
      this.sticky ??= ev.ip;
      return [
        {
          kind: 'learned',
          ip: ev.ip,
          how: 'dhcp-ack',
          what: dhcpMessageName(frame) ?? 'DHCPACK',
          packet,
          t,
          until,
        },
      ];
    }
    if (!this.leases.delete(ev.ip)) return [];
    return [{ kind: 'released', ip: ev.ip, how: ev.kind, packet, t }];
  }
}
