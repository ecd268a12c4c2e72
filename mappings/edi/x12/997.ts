/**
 * X12 997 Functional Acknowledgment for the interchanges of one received payload: what the partner hears
 * about syntax (set envelopes), not about the orders' content, which the 855 answers.
 *
 * Decisions:
 * - One 997 interchange per received interchange that is answered (sender and receiver swapped, or the
 *   channel's ourId as sender; ISA12 and delimiters of the received interchange), one FA group, and one
 *   997 set per answered functional group (AK1 = its GS01 and GS06). Received FA groups (997s) are never
 *   answered.
 * - Each set of the group: AK2 (ST01, ST02) and AK5 — A when accepted, R with the code of its syntax
 *   error when rejected (2 no SE, 3 SE02 ≠ ST02, 4 SE01 count wrong). Set-level problems are known for
 *   the envelope only, so no AK3/AK4 segment or element notes are written.
 * - AK9: R when no set was accepted, P when some were, E when all were but the group envelope was off
 *   (GE01 count 5, GE02 ≠ GS06 4, no GE 3, also listed in AK905…), A otherwise; AK902 = GE01 as sent (the
 *   sets counted when it is missing), AK903 received, AK904 accepted.
 * - mode `rejections` answers only groups with a rejected set; `all` answers every group.
 */
import { parseX12, type X12Group, type X12InterchangeHeader } from './interchange.ts';
import { ISA_LENGTH, value } from './tokenizer.ts';

export interface Build997Options {
  /** ISA13 / GS06 of the 997 (1…999999999); a second interchange gets the next number. */
  controlNumber: string;
  mode: 'rejections' | 'all';
  at?: Date;
  /** Who answers (the channel's ourId / ourQualifier); default the received interchange's receiver. */
  sender?: { id: string; qualifier?: string | undefined } | undefined;
  /** Text after each segment terminator (ignored when the terminator is CR or LF). Default none. */
  segmentSuffix?: '' | '\n' | '\r\n';
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

function answerable(group: X12Group, mode: Build997Options['mode']): boolean {
  if (group.header.functionalId === 'FA') return false;
  return mode === 'all' || group.rejected.length > 0;
}

/** The 997 answering a received payload, or undefined when there is nothing to answer. */
export function build997(text: string, options: Build997Options): string | undefined {
  const at = options.at ?? new Date();
  const yymmdd = `${pad2(at.getUTCFullYear() % 100)}${pad2(at.getUTCMonth() + 1)}${pad2(at.getUTCDate())}`;
  const ccyymmdd = `${at.getUTCFullYear()}${yymmdd.slice(2)}`;
  const hhmm = `${pad2(at.getUTCHours())}${pad2(at.getUTCMinutes())}`;
  const out: string[] = [];
  let control = BigInt(options.controlNumber);
  for (const interchange of parseX12(text).interchanges) {
    const groups = interchange.groups.filter((g) => answerable(g, options.mode));
    if (groups.length === 0 || !interchange.header.senderId) continue;
    out.push(render997(interchange.header, groups, String(control), { ...options, yymmdd, ccyymmdd, hhmm }));
    control++;
  }
  return out.length === 0 ? undefined : out.join('');
}

function render997(isa: X12InterchangeHeader, groups: X12Group[], ctl: string, o: Build997Options & { yymmdd: string; ccyymmdd: string; hhmm: string }): string {
  const d = isa.delimiters;
  const suffix = d.segment === '\n' || d.segment === '\r' ? '' : (o.segmentSuffix ?? '');
  const forbidden = [d.element, d.segment, d.component, ...(d.repetition ? [d.repetition] : []), '\r', '\n'];
  const clean = (raw: string): string => forbidden.reduce((acc, c) => acc.split(c).join(' '), raw);
  const render = (elements: string[]): string => {
    let end = elements.length;
    while (end > 1 && elements[end - 1] === '') end--;
    return elements.slice(0, end).join(d.element) + d.segment + suffix;
  };
  const id15 = (raw: string): string => clean(raw).slice(0, 15).padEnd(15, ' ');
  const qualifier = (raw: string | undefined): string => (clean(raw ?? '') || 'ZZ').padEnd(2, ' ').slice(0, 2);
  const version = (isa.version || '00401').padStart(5, '0').slice(0, 5);
  const isaText = render([
    'ISA', '00', ' '.repeat(10), '00', ' '.repeat(10),
    qualifier(o.sender ? (o.sender.qualifier ?? isa.receiverQualifier) : isa.receiverQualifier), id15(o.sender?.id ?? isa.receiverId),
    qualifier(isa.senderQualifier), id15(isa.senderId),
    o.yymmdd, o.hhmm, d.repetition ?? 'U', version, ctl.padStart(9, '0'), '0', isa.usage === 'T' ? 'T' : 'P', d.component,
  ]);
  if (isaText.length - suffix.length !== ISA_LENGTH) throw new Error(`built ISA is ${isaText.length - suffix.length} characters, not ${ISA_LENGTH}`);
  const first = groups[0]!.header;
  const gsVersion = /^\d{6}/.test(first.version) ? first.version.slice(0, 6) : `${version}0`;
  const lines: string[] = [isaText, render(['GS', 'FA', clean(o.sender?.id ?? first.receiverCode ?? isa.receiverId), clean(first.senderCode || isa.senderId), o.ccyymmdd, o.hhmm, ctl, 'X', gsVersion])];
  groups.forEach((group, i) => {
    const st = String(i + 1).padStart(4, '0');
    const body: string[][] = [['ST', '997', st], ['AK1', clean(group.header.functionalId), clean(group.header.controlNumber)]];
    for (const set of group.transactionSets) body.push(['AK2', clean(set.type), clean(set.controlNumber)], ['AK5', 'A']);
    for (const set of group.rejected) body.push(['AK2', clean(set.type), clean(set.controlNumber)], ['AK5', 'R', set.code]);
    const accepted = group.transactionSets.length;
    const status = accepted === 0 && group.rejected.length > 0 ? 'R' : group.rejected.length > 0 ? 'P' : group.envelopeCodes.length > 0 ? 'E' : 'A';
    const declared = group.trailer ? (value(group.trailer, 1) ?? '') : '';
    const included = /^\d+$/.test(declared) ? declared : String(group.stCount);
    body.push(['AK9', status, included, String(group.stCount), String(accepted), ...group.envelopeCodes.slice(0, 5)]);
    body.push(['SE', String(body.length + 1), st]);
    lines.push(...body.map(render));
  });
  lines.push(render(['GE', String(groups.length), ctl]), render(['IEA', '1', ctl.padStart(9, '0')]));
  return lines.join('');
}
