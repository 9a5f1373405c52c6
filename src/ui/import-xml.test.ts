import { describe, expect, it } from 'vitest';
import { whyNotFilterXml } from './import-xml';

describe('whyNotFilterXml', () => {
  it('accepts a filter, with a declaration, comments or errors', () => {
    expect(whyNotFilterXml("<filter name='a'/>")).toBeNull();
    expect(
      whyNotFilterXml("\uFEFF<?xml version='1.0'?>\n<!-- c -->\n<filter name='a'>"),
    ).toBeNull();
  });

  it('refuses binary data, plain text, empty files and other documents', () => {
    expect(whyNotFilterXml('\u0089PNG\r\n\u001a\n\u0000\u0000')).toBe('is not text (binary data)');
    expect(whyNotFilterXml('caf\uFFFD')).toBe('is not text (binary data)');
    expect(whyNotFilterXml('  \n')).toBe('is empty');
    expect(whyNotFilterXml('allow ssh')).toMatch(/^is not XML/);
    expect(whyNotFilterXml("<domain type='kvm'/>")).toBe('is a <domain> document, not a <filter>');
  });
});
