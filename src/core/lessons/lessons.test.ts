import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile/compile-filter';
import { getBuiltinFilter } from '../library';
import { runScenario } from '../sim/run-scenario';
import { learningRunOf } from '../sim/learning-timeline';
import { getScenario } from '../sim/scenarios';
import { parseFilterXml } from '../xml/parse-filter-xml';
import { LESSONS } from './lessons';
import type { Lesson } from './lessons';

function keyVerdict(
  lesson: Lesson,
  overrides: { ftpHelper?: boolean; xml?: string; sysctl?: Record<string, number> } = {},
) {
  const parsed = parseFilterXml(overrides.xml ?? lesson.xml);
  expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const doc = parsed.doc!;
  const lookup = (n: string) => (n === doc.name ? doc : getBuiltinFilter(n)?.doc);
  const compile = (params: Record<string, readonly string[]>) =>
    compileFilter(lookup, doc.name, { iface: 'vnet0', mac: '52:54:00:11:22:33', params });
  const params = Object.fromEntries(Object.entries(lesson.params).filter(([k]) => k !== 'MAC'));
  const res = compile(params);
  expect(res.ruleset).not.toBeNull();
  const learning = learningRunOf(res, (ips) => compile({ ...params, IP: ips }));
  const scenario = getScenario(lesson.scenario)!;
  expect(scenario).toBeDefined();
  const run = runScenario(res.ruleset!, scenario, {
    settings: {
      ftpHelper: overrides.ftpHelper ?? lesson.ftpHelper,
      sysctl: overrides.sysctl ?? {},
    },
    ...(learning ? { learning } : {}),
  });
  const step = run.steps.find((s) => s.label === lesson.keyPacket);
  expect(step, `key packet '${lesson.keyPacket}' sent`).toBeDefined();
  return step!.trace;
}

describe('lessons', () => {
  it.each(LESSONS.map((l) => [l.id, l] as const))(
    '%s: the key packet gets the verdict the lesson teaches',
    (_id, lesson) => {
      expect(keyVerdict(lesson).verdict).toBe(lesson.expected);
    },
  );

  it('ftp-helper: the data SYN is NEW without the helper and RELATED (accepted) with it', () => {
    const lesson = LESSONS.find((l) => l.id === 'ftp-helper')!;
    expect(keyVerdict(lesson).ctstate).toBe('NEW');
    const withHelper = keyVerdict(lesson, { ftpHelper: true });
    expect(withHelper.ctstate).toBe('RELATED');
    expect(withHelper.verdict).toBe('accept');
  });

  it("statematch-false: with statematch on, the VM's SYN from port 12345 is dropped", () => {
    const lesson = LESSONS.find((l) => l.id === 'statematch-false')!;
    expect(keyVerdict(lesson, { xml: lesson.xml.replace(" statematch='false'", '') }).verdict).toBe(
      'drop',
    );
  });

  it('connlimit: a 1 s ICMP timeout lets the second ping out', () => {
    const lesson = LESSONS.find((l) => l.id === 'connlimit')!;
    expect(keyVerdict(lesson, { sysctl: { nf_conntrack_icmp_timeout: 1 } }).verdict).toBe('accept');
  });

  it('dns-for-ssh: adding the DNS rule lets the query out', () => {
    const lesson = LESSONS.find((l) => l.id === 'dns-for-ssh')!;
    const xml = lesson.xml.replace(
      "  <rule action='drop' direction='inout' priority='1000'>",
      "  <rule action='accept' direction='out' priority='500'>\n    <udp dstportstart='53'/>\n  </rule>\n  <rule action='drop' direction='inout' priority='1000'>",
    );
    expect(keyVerdict(lesson, { xml }).verdict).toBe('accept');
  });

  it('ip-learning-dhcp: the lease ends because the filter drops the renewal; a rule for it, or any, keeps the address', () => {
    const lesson = LESSONS.find((l) => l.id === 'ip-learning-dhcp')!;
    // allow-dhcp is no help: it accepts only the broadcast from 0.0.0.0, in ebtables, and the
    // iptables catch-all still drops the unicast renewal.
    const withAllowDhcp = lesson.xml.replace(
      "<filterref filter='clean-traffic'/>",
      "<filterref filter='clean-traffic'/>\n  <filterref filter='allow-dhcp'/>",
    );
    expect(keyVerdict(lesson, { xml: withAllowDhcp }).verdict).toBe('drop');
    const xml = lesson.xml.replace(
      '  <!-- This rule drops all other traffic -->',
      "  <rule action='accept' direction='out'>\n    <udp dstportstart='67' state='NEW'/>\n  </rule>\n  <!-- This rule drops all other traffic -->",
    );
    expect(xml).not.toBe(lesson.xml);
    expect(keyVerdict(lesson, { xml }).verdict).toBe('accept');
    expect(keyVerdict({ ...lesson, params: { MAC: ['52:54:00:11:22:33'] } }).verdict).toBe(
      'accept',
    );
  });

  it('icmp-echo-only: with a final drop the echo request towards the VM is dropped', () => {
    const lesson = LESSONS.find((l) => l.id === 'icmp-echo-only')!;
    const xml = lesson.xml.replace(
      '</filter>',
      "  <rule action='drop' direction='inout' priority='1000'>\n    <all/>\n  </rule>\n</filter>",
    );
    expect(keyVerdict(lesson, { xml }).verdict).toBe('drop');
  });

  it('invalid-tcp-loose: the segment is INVALID with tcp_loose=0, NEW and accepted with the default', () => {
    const lesson = LESSONS.find((l) => l.id === 'invalid-tcp-loose')!;
    expect(keyVerdict(lesson).ctstate).toBe('INVALID');
    const loose = getScenario('mid-stream-ack')!;
    expect(loose.settings.sysctl).toBeUndefined();
    const parsed = parseFilterXml(lesson.xml).doc!;
    const res = compileFilter(
      (n) => (n === parsed.name ? parsed : getBuiltinFilter(n)?.doc),
      parsed.name,
      {
        iface: 'vnet0',
        mac: '52:54:00:11:22:33',
        params: { IP: ['10.99.0.2'] },
      },
    );
    const run = runScenario(res.ruleset!, loose, {});
    const key = run.steps.find((s) => s.label === lesson.keyPacket)!.trace;
    expect([key.verdict, key.ctstate]).toEqual(['accept', 'NEW']);
  });
});
