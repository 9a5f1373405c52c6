import { describe, expect, it } from 'vitest';
import { parseFilterXml } from './parse-filter-xml';

/** Issue 15: what libxml2 refuses is refused, with one short positioned message. */

const RULE = "<rule action='accept' direction='in'><tcp dstportstart='22'/></rule>";

function only(text: string) {
  const res = parseFilterXml(text);
  expect(res.doc).toBeNull();
  expect(res.diagnostics).toHaveLength(1);
  return res.diagnostics[0]!;
}

describe('well-formedness as libxml2 requires', () => {
  it('refuses an XML declaration inside <filter>', () => {
    const d = only(`<filter name='t'>\n  <?xml version='1.0'?>${RULE}</filter>`);
    expect(d).toMatchObject({ code: 'NWF001', line: 2, column: 3 });
    expect(d.message).toContain('allowed only at the very start');
    // At the very start it is the declaration, and fine.
    expect(
      parseFilterXml(`<?xml version='1.0'?>\n<filter name='t'>${RULE}</filter>`).doc,
    ).not.toBeNull();
    // Other processing instructions are libxml2's business too, and allowed.
    expect(parseFilterXml(`<filter name='t'><?other x?>${RULE}</filter>`).doc).not.toBeNull();
  });

  it('refuses control characters XML forbids, at their position', () => {
    const d = only(`<filter name='t'>${RULE.replace("'22'", "'2\u001b[2J'")}</filter>`);
    expect(d).toMatchObject({ code: 'NWF001', line: 1 });
    expect(d.column).toBe(
      `<filter name='t'><rule action='accept' direction='in'><tcp dstportstart='2`.length + 1,
    );
    expect(d.message).toContain('U+001B');
    for (const c of ['\u0000', '\u0008', '\u000b', '\u001f', '\ufffe', '\ud800']) {
      expect(only(`<filter name='t${c}'>${RULE}</filter>`).code).toBe('NWF001');
    }
    // Tab, line feed, carriage return and DEL are XML characters.
    expect(
      parseFilterXml(`<filter\tname='t'>\r\n${RULE}\u007f</filter>`).diagnostics.filter(
        (x) => x.code === 'NWF001',
      ),
    ).toEqual([]);
  });

  it('reports an unclosed document at its end, naming what is open, in a short message', () => {
    const body = `${RULE}\n`.repeat(20_000);
    const cases: [string, string][] = [
      [
        `<filter name='t'>\n${body}`,
        'the document ends before the end tag of <filter> (opened at 1:1)',
      ],
      [`<filter name='t'>\n${body}<rule`, "the <rule> start tag is never closed with '>'"],
      [`<filter name='t'>\n${body}<rule action='acc`, 'an attribute value of the <rule> start tag'],
      [`<filter name='t'>\n${body}<!-- x`, 'the comment is never closed with -->'],
      [`<filter name='t'>\n<![CDATA[${body}`, 'the CDATA section is never closed'],
      [`<filter name='t'>\n${'<a>'.repeat(60)}`, 'the document ends before the end tag of <a>'],
    ];
    for (const [text, what] of cases) {
      const d = only(text);
      expect(d.code).toBe('NWF001');
      expect(d.message).toContain(what);
      expect(d.message.length).toBeLessThan(200);
      const lines = text.split('\n');
      expect(d.line).toBe(lines.length);
      expect(d.column).toBe((lines.at(-1) as string).length + 1);
    }
  });

  it('keeps any message taken from the XML reader short', () => {
    const d = only(`<filter name='t'>${'<x>'.repeat(40)}${'</y>'.repeat(40)}</filter>`);
    expect(d.message.length).toBeLessThan(300);
  });
});
