import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HARNESS_PARAMS, corpusDir } from '../compile/testing/libvirt-harness';
import { BUILTIN_FILTER_NAMES, getBuiltinFilter } from '../library';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { lintFilter } from './lint-filter';

const DIR = path.join(corpusDir(), 'xml2firewall');
const FILES = readdirSync(DIR)
  .filter((n) => n.endsWith('.xml'))
  .sort();

describe("lint over libvirt's xml2firewall corpus (bound with the test harness's variables)", () => {
  const dead: string[] = [];
  it('runs on every corpus filter without instantiation errors', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(39);
    for (const f of FILES) {
      const doc = parseFilterXml(readFileSync(path.join(DIR, f), 'utf8')).doc;
      expect(doc, f).not.toBeNull();
      if (!doc) continue;
      const r = lintFilter((n) => (n === doc.name ? doc : getBuiltinFilter(n)?.doc), doc.name, {
        params: HARNESS_PARAMS,
      });
      expect(
        r.diagnostics.filter((d) => d.severity === 'error'),
        f,
      ).toEqual([]);
      for (const x of r.findings.filter((y) => y.code === 'NWF501')) {
        dead.push(
          `${f} ${x.filter}#${x.ruleIndex} <- ${(x.related ?? []).map((y) => `${y.filter}#${y.ruleIndex}`).join(',')}`,
        );
      }
    }
  });

  it('finds exactly the unreachable rules a reading of the corpus confirms', () => {
    // Each checked by hand against the XML: duplicated rules (ah, all, esp, igmp, udplite: rule 3
    // repeats rule 2), an ICMPv6 type/code inside an earlier range (ipv6), clean-traffic's ARP
    // accept at priority -500 before the filter's own ARP rule (ref-rule), and in target.xml the
    // reject after an identical drop, and the drops/rejects after 'accept inout <all>' (no state
    // match on inout) or after an identical stateless layer-2 accept.
    // And rules no packet can match (no cover): an ARP MAC field with a hardware type other
    // than Ethernet (arp, rarp, comment and hex-data: hwtype 12 or 18 with arpsrcmacaddr), which
    // ebt_arp refuses before reading the addresses (`ar_hln != ETH_ALEN || ar_hrd != ARPHRD_ETHER`),
    // and TCP flags whose compared bits lie outside their mask (tcp: SYN/ALL, SYN/SYN,ACK), which
    // xt_tcpudp's `(flags & mask) == comp` never meets.
    expect(dead).toEqual([
      'ah.xml tck-testcase#2 <- tck-testcase#1',
      'all.xml tck-testcase#2 <- tck-testcase#1',
      'arp.xml tck-testcase#0 <- ',
      'comment.xml tck-testcase#3 <- ',
      'esp.xml tck-testcase#2 <- tck-testcase#1',
      'hex-data.xml tck-testcase#3 <- ',
      'igmp.xml tck-testcase#2 <- tck-testcase#1',
      'ipv6.xml tck-testcase#5 <- tck-testcase#4',
      'rarp.xml tck-testcase#0 <- ',
      'ref-rule.xml tck-testcase#0 <- clean-traffic#1',
      'target.xml tck-testcase#2 <- tck-testcase#1',
      'target.xml tck-testcase#5 <- tck-testcase#4',
      'target.xml tck-testcase#7 <- tck-testcase#6',
      'target.xml tck-testcase#8 <- tck-testcase#6',
      'target.xml tck-testcase#10 <- tck-testcase#9',
      'target.xml tck-testcase#11 <- tck-testcase#9',
      'target.xml tck-testcase#13 <- tck-testcase#12',
      'target.xml tck-testcase#14 <- tck-testcase#12',
      'tcp.xml tck-testcase#3 <- ',
      'tcp.xml tck-testcase#4 <- ',
      'udplite.xml tck-testcase#2 <- tck-testcase#1',
    ]);
  });

  it('runs on every built-in filter as a root, with and without parameters', () => {
    for (const name of BUILTIN_FILTER_NAMES) {
      const choices: Record<string, string[]>[] = [
        {},
        {
          IP: ['10.0.0.2'],
          DHCPSERVER: ['10.0.0.1'],
          IPV6: ['2001:db8::2'],
          DHCPSERVERV6: ['2001:db8::1'],
        },
      ];
      for (const params of choices) {
        const r = lintFilter([], name, { mac: '52:54:00:11:22:33', params });
        expect(
          r.diagnostics.filter((d) => d.severity === 'error'),
          name,
        ).toEqual([]);
      }
    }
  });
});
