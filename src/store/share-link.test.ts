import { describe, expect, it } from 'vitest';
import type { FilterDoc } from '../core/model';
import { decodeShare, describeShare, encodeShare, filtersToShare } from './share-link';

function doc(name: string, refs: string[] = []): FilterDoc {
  return {
    name,
    chain: 'root',
    chainPriority: null,
    uuid: null,
    entries: refs.map((filter) => ({ kind: 'filterref', ref: { filter, params: [] } })),
  };
}

describe('share links', () => {
  const workspace = [doc('test-eth0'), doc('web', ['db', 'clean-traffic']), doc('db', ['web'])];

  it('carry the open filter and the workspace filters it references, cycles included', () => {
    expect(filtersToShare('web', workspace).map((d) => d.name)).toEqual(['web', 'db']);
    expect(filtersToShare('test-eth0', workspace).map((d) => d.name)).toEqual(['test-eth0']);
  });

  it('open on the filter they were made from', () => {
    const shared = decodeShare(`#${encodeShare(filtersToShare('web', workspace), 'web')}`);
    expect(shared?.open).toBe('web');
    expect(shared?.filters.map((d) => d.name)).toEqual(['web', 'db']);
    expect(describeShare('web', shared?.filters ?? [])).toBe(
      'web with the filter it references: db',
    );
  });

  it('open on the first filter for links without a name, and refuse damaged ones', () => {
    expect(decodeShare(`#${encodeShare([doc('a'), doc('b')])}`)?.open).toBe('a');
    expect(decodeShare('#share=garbage')).toBeNull();
    expect(decodeShare('#other')).toBeNull();
  });
});
