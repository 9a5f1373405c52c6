import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildIcmpEcho,
  buildSctp,
  buildTcp,
  buildUdp,
  buildUdpLite,
  sctpInitChunk,
} from '../packet/packet-build';
import { encodeL4 } from '../packet/packet-encode';
import type { L4Packet } from '../packet/packet';
import { GENERIC_TRACKER, L4_TRACKERS, l4TrackerOf } from './l4-trackers';
import type { PortPair } from './l4-tracker';
import { DEFAULT_SYSCTL } from './sysctl';

describe('L4_TRACKERS: the one list of protocol trackers', () => {
  it('has one tracker per protocol, found by its number; others get the generic tracker', () => {
    const protos = L4_TRACKERS.map((t) => t.l4proto);
    expect(new Set(protos).size).toBe(protos.length);
    for (const t of L4_TRACKERS) expect(l4TrackerOf(t.l4proto)).toBe(t);
    expect(L4_TRACKERS.map((t) => t.name).sort()).toEqual(
      ['icmp', 'icmpv6', 'sctp', 'tcp', 'udp', 'udplite'].sort(),
    );
    for (const p of [0, 2, 47, 50, 51, 255]) expect(l4TrackerOf(p)).toBe(GENERIC_TRACKER);
  });

  it('gives every conntrack timeout sysctl to exactly one tracker', () => {
    const owned = [...L4_TRACKERS, GENERIC_TRACKER].flatMap((t) => t.timeouts);
    expect(new Set(owned).size).toBe(owned.length);
    expect(owned.sort()).toEqual(
      Object.keys(DEFAULT_SYSCTL)
        .filter((n) => n.includes('_timeout'))
        .sort(),
    );
  });

  it('inverts a tuple back to itself (the ICMP request/reply pairs too)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...L4_TRACKERS, GENERIC_TRACKER),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        (t, sport, dport) => {
          const once: PortPair = { sport: -1, dport: -1 };
          if (!t.invert({ sport, dport }, once)) return;
          const twice: PortPair = { sport: -1, dport: -1 };
          expect(t.invert(once, twice)).toBe(true);
          const pick: PortPair = { sport: -1, dport: -1 };
          t.invert(twice, pick);
          expect(pick).toEqual(once);
          if (t !== GENERIC_TRACKER) expect(twice).toEqual({ sport, dport });
        },
      ),
    );
    const reply: PortPair = { sport: 0, dport: 0 };
    expect(l4TrackerOf(1).invert({ sport: 7, dport: 8 << 8 }, reply)).toBe(true);
    expect(reply).toEqual({ sport: 7, dport: 0 });
    expect(l4TrackerOf(58).invert({ sport: 7, dport: 139 << 8 }, reply)).toBe(true);
    expect(reply).toEqual({ sport: 7, dport: 140 << 8 });
    expect(l4TrackerOf(1).invert({ sport: 7, dport: 3 << 8 }, reply)).toBe(false);
  });

  it('reads the same ports from a packet and from its header bytes quoted in an ICMP error', () => {
    const packets: [number, L4Packet][] = [
      [6, buildTcp({ sport: 40000, dport: 22, flags: 'S' })],
      [17, buildUdp({ sport: 5353, dport: 53 })],
      [136, buildUdpLite({ sport: 1, dport: 2 })],
      [132, buildSctp({ sport: 9, dport: 10, chunks: [sctpInitChunk()] })],
      [1, buildIcmpEcho({ id: 77, seq: 1 })],
    ];
    for (const [proto, l4] of packets) {
      const t = l4TrackerOf(proto);
      const fromPacket: PortPair = { sport: -1, dport: -1 };
      const fromBytes: PortPair = { sport: -1, dport: -1 };
      expect(t.pickTuple(l4, fromPacket)).toBe(true);
      const bytes = encodeL4(l4, {}, () => 0);
      expect(t.pickQuoted(bytes, 0, fromBytes)).toBe(true);
      expect(fromBytes).toEqual(fromPacket);
      expect(t.pickQuoted(bytes.subarray(0, 3), 0, fromBytes)).toBe(false);
    }
  });
});
