import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildContrl, parseEdifact } from '../../mappings/edi/edifact/index.ts';
import { build997, parseX12, x12Mapping } from '../../mappings/edi/x12/index.ts';
import { x12File, x12Set } from '../helpers/x12-850s.ts';

const edifact = (name: string): string => readFileSync(new URL(`../fixtures/edi/edifact/${name}`, import.meta.url), 'utf8');
const x12 = (name: string): string => readFileSync(new URL(`../fixtures/edi/x12/${name}`, import.meta.url), 'utf8');
const at = new Date('2024-03-12T09:30:00Z');

describe('CONTRL for received EDIFACT interchanges', () => {
  it('rejects the message whose UNT count is wrong (UCM action 4, error 29 at UNT) and acknowledges the interchange', () => {
    const text = buildContrl(edifact('constructed-wrong-unt-count.edi'), { controlRef: '000000007', mode: 'rejections', preparedAt: at, lineBreak: '\n' });
    expect(text?.split('\n')).toEqual([
      "UNA:+.? '",
      "UNB+UNOC:3+4098765000010:14+4012345000009:14+240312:0930+000000007'",
      "UNH+1+CONTRL:D:3:UN'",
      "UCI+IC12+4012345000009:14+4098765000010:14+7'",
      "UCM+W1+ORDERS:D:96A:UN:EAN008+4+29+UNT'",
      "UNT+4+1'",
      "UNZ+1+000000007'",
      '',
    ]);
    const [interchange] = parseEdifact(text!);
    expect(interchange!.errors).toEqual([]);
    expect(interchange!.messages[0]!.errors).toEqual([]);
  });

  it('rejects the whole interchange (UCI action 4) when its every message is rejected, answering as the channel names us', () => {
    const broken = edifact('constructed-wrong-unt-count.edi').replace("UNT+10+R2'", "UNT+10+XX'");
    const text = buildContrl(broken, { controlRef: '8', mode: 'rejections', preparedAt: at, sender: { id: '5412345000013', qualifier: '14' } });
    expect(text).toContain("UNB+UNOC:3+5412345000013:14+4012345000009:14+240312:0930+8'");
    expect(text).toContain("UCI+IC12+4012345000009:14+4098765000010:14+4'");
    expect(text).toContain("UCM+R2+ORDERS:D:96A:UN:EAN008+4+28+UNT'");
  });

  it('says nothing about a clean interchange unless every interchange is to be acknowledged', () => {
    expect(buildContrl(edifact('dilono-d96a-orders.edi'), { controlRef: '9', mode: 'rejections', preparedAt: at })).toBeUndefined();
    const all = buildContrl(edifact('dilono-d96a-orders.edi'), { controlRef: '9', mode: 'all', preparedAt: at });
    expect(all).toContain("UNH+1+CONTRL:2:2:UN'UCI+5+0000000000001:14+0000000000002:14+7'UNT+3+1'");
  });

  it('never answers a CONTRL', () => {
    const contrl = buildContrl(edifact('dilono-d96a-orders.edi'), { controlRef: '9', mode: 'all', preparedAt: at })!;
    expect(buildContrl(contrl, { controlRef: '10', mode: 'all', preparedAt: at })).toBeUndefined();
  });
});

describe('997 for received X12 interchanges', () => {
  it('rejects the 850 whose SE01 count is wrong (AK5 R 4) and accepts the other (AK9 P)', () => {
    const text = build997(x12('constructed-two-sets-bad-se.edi'), { controlNumber: '000000007', mode: 'rejections', at, segmentSuffix: '\n', sender: { id: 'WIDGETCO', qualifier: 'ZZ' } });
    expect(text?.split('\n')).toEqual([
      'ISA*00*          *00*          *ZZ*WIDGETCO       *ZZ*ACMEBUYER      *240312*0930*U*00401*000000007*0*P*>~',
      'GS*FA*WIDGETCO*ACMEBUYER*20240312*0930*7*X*004010~',
      'ST*997*0001~',
      'AK1*PO*303~',
      'AK2*850*0002~',
      'AK5*A~',
      'AK2*850*0001~',
      'AK5*R*4~',
      'AK9*P*2*2*1~',
      'SE*8*0001~',
      'GE*1*7~',
      'IEA*1*000000007~',
      '',
    ]);
    const doc = parseX12(text!);
    expect(doc.issues).toEqual([]);
    expect(doc.transactionSets.map((s) => s.type)).toEqual(['997']);
  });

  it("rejects the EdiFabric sample's only set (SE count) with AK9 R", () => {
    const text = build997(x12('edifabric-multiline-bad-se.txt'), { controlNumber: '12', mode: 'rejections', at });
    expect(text).toContain('AK5*R*4~AK9*R*1*1*0~');
  });

  it('acknowledges a clean 850 only when every group is to be acknowledged, and notes envelope count findings (AK9 E)', () => {
    expect(build997(x12('node-x12-850.edi'), { controlNumber: '12', mode: 'rejections', at })).toBeUndefined();
    expect(build997(x12('node-x12-850.edi'), { controlNumber: '12', mode: 'all', at })).toContain('AK1*PO*1421~AK2*850*000000010~AK5*A~AK9*A*1*1*1~');
    expect(build997(x12('constructed-bad-trailer-counts.edi'), { controlNumber: '12', mode: 'all', at })).toContain('AK9*E*3*1*1*5*4~');
  });

  describe('with segment and element detail (AK3/AK4) for an 850 the reader rejects for its syntax', () => {
    // The node-x12 sample (33 segments: ST 1, BEG 2, …, the second PO1 at 16) with one defect each.
    const sample = x12('node-x12-850.edi');
    const answer = (text: string): string => build997(text, { controlNumber: '12', mode: 'rejections', at })!;
    const detail = (text: string): string => {
      const body = answer(text);
      return body.slice(body.indexOf('AK2*'), body.indexOf('SE*'));
    };

    it('names a missing mandatory BEG (720 code 3) where it was due, right after ST', () => {
      const text = sample.replace(/BEG\*[^~]*~\r?\n/, '').replace('SE*33*', 'SE*32*');
      expect(detail(text)).toBe('AK2*850*000000010~AK3*BEG*2**3~AK5*R*5~AK9*R*1*1*0~');
    });

    it('names the bad element (AK4: position, data element 373, 723 code 8 invalid date, the bad data)', () => {
      expect(detail(sample.replace('BEG*00*SA*08292233294**20101127*', 'BEG*00*SA*08292233294**20101327*'))).toBe('AK2*850*000000010~AK3*BEG*2**8~AK4*5*373*8*20101327~AK5*R*5~AK9*R*1*1*0~');
      expect(detail(sample.replace('BEG*00*SA*08292233294*', 'BEG*00*SA**'))).toBe('AK2*850*000000010~AK3*BEG*2**8~AK4*3*324*1~AK5*R*5~AK9*R*1*1*0~');
    });

    it('gives the PO1 loop and the position of the segment in the set for a quantity that is not a number (723 code 6)', () => {
      const text = sample.replace('PO1*2*220*EA', 'PO1*2*22O*EA');
      expect(detail(text)).toBe('AK2*850*000000010~AK3*PO1*16*PO1*8~AK4*2*330*6*22O~AK5*R*5~AK9*R*1*1*0~');
      // The mapping rejects the same set, for the same reason.
      expect(x12Mapping.map({ kind: 'upload', body: text }, {}).errors).toEqual([{ ref: 'ST 000000010', message: expect.stringMatching(/^PO102 \(quantity\) of line 2 is not a number: "22O" \(PO1 at segment 18 /) }]);
    });

    it('names a segment id X12 cannot have (720 code 1), which rejects the set instead of dropping what it carried', () => {
      const text = sample.replace('PKG*F*66***REGULAR', 'pkg*F*66***REGULAR');
      expect(detail(text)).toBe('AK2*850*000000010~AK3*pkg*8**1~AK5*R*5~AK9*R*1*1*0~');
      expect(x12Mapping.map({ kind: 'upload', body: text }, {}).errors).toEqual([{ ref: 'ST 000000010', message: expect.stringMatching(/^segment id "pkg" at segment 10 .* is not a valid X12 segment id/) }]);
    });

    it('keeps AK9 counts right beside accepted and envelope-rejected sets, and reads back as a valid 997', () => {
      const text = x12File('MIX', 4).replace(x12Set('MIX', 2), x12Set('MIX', 2).replace('PO1*3*126*EA*10.99', 'PO1*3*126*EA*10,99')).replace('SE*33*0004~', 'SE*30*0004~');
      const body = answer(text);
      expect(body).toContain(
        ['AK1*PO*1421', 'AK2*850*0001', 'AK5*A', 'AK2*850*0003', 'AK5*A', 'AK2*850*0002', 'AK3*PO1*19*PO1*8', 'AK4*4*212*6*10,99', 'AK5*R*5', 'AK2*850*0004', 'AK5*R*4', 'AK9*P*4*4*2~'].join('~'),
      );
      const doc = parseX12(body);
      expect(doc.issues).toEqual([]);
      expect(doc.transactionSets.map((s) => s.type)).toEqual(['997']);
    });

    it('says nothing of a set the hub refuses for its own rules, not X12 syntax (more decimals than it keeps)', () => {
      const text = sample.replace('PO1*2*220*EA', 'PO1*2*220.12345*EA');
      expect(x12Mapping.map({ kind: 'upload', body: text }, {}).errors).toHaveLength(1);
      expect(build997(text, { controlNumber: '12', mode: 'rejections', at })).toBeUndefined();
    });
  });
});
