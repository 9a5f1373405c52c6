import type { AttrValue, Rule } from '../../core/model';

/** Attributes shown in their own column, not in the summary. */
const OWN_COLUMN = new Set(['comment']);

function neg(v: AttrValue): string {
  return v.negated ? '!' : '';
}

/**
 * A one-line, human reading of a rule's match, e.g. `tcp dst 21–22 · state NEW`.
 * It leads with what usually tells rules apart — ports, then addresses — so a narrow cell
 * still shows the difference between an SSH and an HTTP rule from the same network.
 * Pairs (address + mask, from + to, port start + end) are folded together; anything
 * else is shown as `name=value`, so no attribute is ever hidden.
 */
export function summarizeMatch(rule: Rule): string {
  const attrs = rule.attrs;
  const used = new Set<string>(OWN_COLUMN);
  const parts: string[] = [];
  const take = (name: string): AttrValue | undefined => {
    const v = attrs[name];
    if (v) used.add(name);
    return v;
  };

  // The service a rule is about is its destination port; the source port comes next.
  for (const side of ['dst', 'src'] as const) {
    const start = take(`${side}portstart`);
    const end = take(`${side}portend`);
    if (start || end) {
      const range =
        start && end && start.value !== end.value
          ? `${start.value}–${end.value}`
          : (start ?? end)?.value;
      parts.push(`${side} ${neg((start ?? end) as AttrValue)}${range ?? ''}`);
    }
  }

  const type = take('type');
  const code = take('code');
  if (type) parts.push(`type ${neg(type)}${type.value}`);
  if (code) parts.push(`code ${neg(code)}${code.value}`);

  for (const side of ['src', 'dst'] as const) {
    const ip = take(`${side}ipaddr`);
    const ipMask = take(`${side}ipmask`);
    if (ip) parts.push(`${side} ${neg(ip)}${ip.value}${ipMask ? `/${ipMask.value}` : ''}`);
    const from = take(`${side}ipfrom`);
    const to = take(`${side}ipto`);
    if (from || to)
      parts.push(
        `${side} ${neg((from ?? to) as AttrValue)}${from?.value ?? '*'}–${to?.value ?? '*'}`,
      );
  }

  for (const side of ['src', 'dst'] as const) {
    const mac = take(`${side}macaddr`);
    const macMask = take(`${side}macmask`);
    if (mac) parts.push(`${side} mac ${neg(mac)}${mac.value}${macMask ? `/${macMask.value}` : ''}`);
  }

  const ipset = take('ipset');
  const ipsetFlags = take('ipsetflags');
  if (ipset)
    parts.push(`ipset ${neg(ipset)}${ipset.value}${ipsetFlags ? ` (${ipsetFlags.value})` : ''}`);

  const connlimit = take('connlimit-above');
  if (connlimit) parts.push(`connlimit > ${connlimit.value}`);

  const state = take('state');
  for (const [name, v] of Object.entries(attrs)) {
    if (!used.has(name)) parts.push(`${name}=${neg(v)}${v.value}`);
  }
  if (state) parts.push(`state ${neg(state)}${state.value}`);

  const head = rule.protocol ?? '(any)';
  if (parts.length === 0) return head;
  const [first, ...rest] = parts;
  return [`${head} ${first}`, ...rest].join(' · ');
}
