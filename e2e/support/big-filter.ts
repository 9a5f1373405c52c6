/** A filter of `n` tcp rules with mixed actions and priorities, for the 2,000-rule e2e tests. */
export function bigFilter(n: number): string {
  const rules: string[] = [];
  for (let i = 0; i < n; i++) {
    rules.push(
      `  <rule action='${i % 7 === 0 ? 'drop' : 'accept'}' direction='in' priority='${(i % 19) * 10}'>\n    <tcp dstportstart='${1000 + i}' state='NEW'/>\n  </rule>`,
    );
  }
  return `<filter name='big' chain='root'>\n${rules.join('\n')}\n</filter>\n`;
}
