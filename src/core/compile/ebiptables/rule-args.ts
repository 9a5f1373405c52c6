import type { IrRule, IrTable, Match, Target } from './ir';

/** The argument vector of one match, as ebtables/iptables receive it (no quoting). */
export function matchArgs(m: Match): string[] {
  const neg = 'negated' in m && m.negated ? ['!'] : [];
  switch (m.kind) {
    case 'eb-iface':
      return [m.dir === 'in' ? '-i' : '-o', m.iface];
    case 'eb-mac':
      return [
        m.field === 'src' ? '-s' : '-d',
        ...neg,
        m.mask !== null ? `${m.mac}/${m.mask}` : m.mac,
      ];
    case 'eb-proto':
      return ['-p', ...neg, m.text];
    case 'eb-vlan':
      return [m.field === 'id' ? '--vlan-id' : '--vlan-encap', ...neg, m.text];
    case 'eb-stp':
      return [`--stp-${m.field}`, ...neg, m.text];
    case 'eb-arp':
      return m.field === 'gratuitous'
        ? [...neg, '--arp-gratuitous']
        : [`--arp-${m.field}`, ...neg, m.text];
    case 'eb-ip': {
      const p = m.family === 4 ? '--ip' : '--ip6';
      const opt = {
        src: '-source',
        dst: '-destination',
        protocol: '-protocol',
        sport: '-source-port',
        dport: '-destination-port',
        tos: '-tos',
        'icmp-type': '-icmp-type',
      }[m.field];
      return [m.opt ?? `${p}${opt}`, ...neg, m.text];
    }
    case 'ipt-proto':
      return ['-p', m.proto];
    case 'ipt-mac':
      return ['-m', 'mac', ...neg, '--mac-source', m.mac];
    case 'ipt-addr':
      return [...neg, m.field === 'src' ? '--source' : '--destination', m.text];
    case 'ipt-iprange':
      return [
        '-m',
        'iprange',
        ...neg,
        m.field === 'src' ? '--src-range' : '--dst-range',
        m.to !== null ? `${m.from}-${m.to}` : m.from,
      ];
    case 'ipt-dscp':
      return ['-m', 'dscp', ...neg, '--dscp', m.text];
    case 'ipt-tcp-flags':
      return [...neg, '--tcp-flags', m.maskText, m.compText];
    case 'ipt-port':
      return [...neg, m.field === 'sport' ? '--sport' : '--dport', m.text];
    case 'ipt-tcp-option':
      return [...neg, '--tcp-option', m.text];
    case 'ipt-icmp':
      return [...neg, m.family === 4 ? '--icmp-type' : '--icmpv6-type', m.text];
    case 'ipt-ctstate':
      return ['-m', 'conntrack', '--ctstate', m.states.join(',')];
    case 'ipt-ctdir':
      return ['-m', 'conntrack', '--ctdir', m.dir];
    case 'ipt-set':
      return ['-m', 'set', '--match-set', m.set, m.flags.join(',')];
    case 'ipt-connlimit':
      return ['-m', 'connlimit', ...neg, '--connlimit-above', m.text];
    case 'ipt-comment':
      return ['-m', 'comment', '--comment', m.comment];
    case 'ipt-physdev':
      return [
        '-m',
        'physdev',
        ...(m.isBridged ? ['--physdev-is-bridged'] : []),
        m.dir === 'in' ? '--physdev-in' : '--physdev-out',
        m.iface,
      ];
  }
}

/** The target arguments (`-j ACCEPT`, `-j libvirt-I-vnet0`, `-g FI-vnet0`), chain names mapped by `name`. */
export function targetArgs(t: Target, name: (chain: string) => string): string[] {
  switch (t.kind) {
    case 'verdict':
      return ['-j', t.verdict];
    case 'jump':
      return ['-j', name(t.chain)];
    case 'goto':
      return ['-g', name(t.chain)];
  }
}

/** The program and fixed options libvirt uses for a table (`ebtables --concurrent -t nat`, `iptables -w`). */
export function commandPrefix(table: Pick<IrTable, 'family' | 'name'>): string[] {
  if (table.family === 'ebtables') return ['ebtables', '--concurrent', '-t', table.name];
  return [table.family, '-w'];
}

/** `-A CHAIN matches… target…` for a rule of `chain`, with chain names mapped by `name`. */
export function appendArgs(chain: string, rule: IrRule, name: (chain: string) => string): string[] {
  // Pushing into one array: printing a 10,000-rule script spent most of its time in spreads.
  const out = ['-A', name(chain)];
  for (const m of rule.matches) for (const arg of matchArgs(m)) out.push(arg);
  for (const arg of targetArgs(rule.target, name)) out.push(arg);
  return out;
}
