import { describe, expect, it } from 'vitest';
import { parseBindingXml } from './parse-binding-xml';

describe('parseBindingXml', () => {
  it('reads what virsh nwfilter-binding-dumpxml prints, lists in order', () => {
    const xml = `<filterbinding>
  <owner>
    <name>vm1</name>
    <uuid>8c3b1f4e-2d7a-4c55-9e0b-6a1d2f3e4b5c</uuid>
  </owner>
  <portdev name='vnet0'/>
  <mac address='52:54:00:11:22:33'/>
  <filterref filter='clean-traffic'>
    <parameter name='IP' value='10.0.0.1'/>
    <parameter name='IP' value='10.0.0.2'/>
    <parameter name='CTRL_IP_LEARNING' value='none'/>
  </filterref>
</filterbinding>
`;
    expect(parseBindingXml(xml)).toEqual({
      portdev: 'vnet0',
      mac: '52:54:00:11:22:33',
      filter: 'clean-traffic',
      params: [
        ['IP', '10.0.0.1'],
        ['IP', '10.0.0.2'],
        ['CTRL_IP_LEARNING', 'none'],
      ],
      owner: { name: 'vm1', uuid: '8c3b1f4e-2d7a-4c55-9e0b-6a1d2f3e4b5c' },
    });
  });

  it('names what is missing instead of a partial binding', () => {
    expect(parseBindingXml('<filter name="x"/>')).toEqual({ error: 'no <filterbinding> element' });
    expect(parseBindingXml("<filterbinding><portdev name='v'/></filterbinding>")).toEqual({
      error: '<filterbinding> has no <mac address=…>',
    });
    expect(parseBindingXml('<filterbinding')).toHaveProperty('error');
  });
});
