/**
 * X12 997 Functional Acknowledgment for the interchanges of one received payload: what the partner hears
 * about syntax, not about the orders' business content, which the 855 answers.
 *
 * Decisions:
 * - One 997 interchange per received interchange that is answered (sender and receiver swapped, or the
 *   channel's ourId as sender; ISA12 and delimiters of the received interchange), one FA group, and one
 *   997 set per answered functional group (AK1 = its GS01 and GS06). Received FA groups (997s) are never
 *   answered.
 * - Each set of the group: AK2 (ST01, ST02), then AK5 — A when accepted; R with the code of its envelope
 *   error (2 no SE, 3 SE02 ≠ ST02, 4 SE01 count wrong); or, for an 850 the reader rejects for an X12
 *   syntax fault it can name, AK3 (segment id, position in the set with ST = 1, loop id when in the PO1
 *   loop, 720 code: 1 unrecognized segment id, 3 mandatory segment missing, 8 data element errors) and
 *   AK4 when one element is at fault (its position, data element reference number, 723 code: 1 mandatory
 *   element missing, 2 conditional element missing, 6 not a number, 8 invalid date; a copy of the bad
 *   data) before AK5 R 5 (one or more segments in error). The structure is the 004010/005010 997's
 *   (AK2 loop, AK3 loop, AK4 ≤ 99, AK5). A set the hub refuses for its own rules (decimals, control
 *   totals) is syntactically accepted (A). Accepted sets come first, then the rejected ones, each in the
 *   order received.
 * - AK9: R when no set was accepted, P when some were, E when all were but the group envelope was off
 *   (GE01 count 5, GE02 ≠ GS06 4, no GE 3, also listed in AK905…), A otherwise; AK902 = GE01 as sent (the
 *   sets counted when it is missing), AK903 received, AK904 accepted.
 * - mode `rejections` answers only groups with a rejected set; `all` answers every group.
 * - The payload is read by the streaming reader: only the answer (one line per set) grows with it.
 */
import { parse850, type X12SyntaxNote } from './850.ts';
import { X12StreamReader, type X12Group, type X12InterchangeHeader } from './interchange.ts';
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

/** A set as the 997 answers it. */
interface SetAnswer {
  type: string;
  controlNumber: string;
  /** AK502 when rejected. */
  code?: string;
  note?: X12SyntaxNote;
}

interface GroupAnswer {
  group: X12Group;
  accepted: SetAnswer[];
  rejected: SetAnswer[];
}

interface InterchangeAnswer {
  header: X12InterchangeHeader;
  groups: GroupAnswer[];
}

function answerable(answer: GroupAnswer, mode: Build997Options['mode']): boolean {
  if (answer.group.header.functionalId === 'FA') return false;
  return mode === 'all' || answer.rejected.length > 0;
}

/** Reads the payload's sets into what the 997 says of each, group by group. */
function readAnswers(text: string): InterchangeAnswer[] {
  const interchanges: InterchangeAnswer[] = [];
  const groups = new Map<X12Group, GroupAnswer>();
  const reader = new X12StreamReader({
    interchange: (interchange) => void interchanges.push({ header: interchange.header, groups: [] }),
    group: (group) => {
      const answer: GroupAnswer = { group, accepted: [], rejected: [] };
      groups.set(group, answer);
      interchanges[interchanges.length - 1]?.groups.push(answer);
    },
    set: (set, _interchange, group) => {
      const answer = group && groups.get(group);
      if (!answer) return; // a set outside any group has no AK1 to go under
      const entry: SetAnswer = { type: set.type, controlNumber: set.controlNumber };
      const parsed = set.type === '850' ? parse850(set) : undefined;
      if (parsed && !parsed.ok && parsed.error.note) answer.rejected.push({ ...entry, code: '5', note: parsed.error.note });
      else answer.accepted.push(entry);
    },
    rejected: (set, _interchange, group) => {
      const answer = group && groups.get(group);
      if (answer) answer.rejected.push({ type: set.type, controlNumber: set.controlNumber, code: set.code });
    },
  });
  reader.feed(text);
  reader.end();
  return interchanges;
}

/** The 997 answering a received payload, or undefined when there is nothing to answer. */
export function build997(text: string, options: Build997Options): string | undefined {
  const at = options.at ?? new Date();
  const yymmdd = `${pad2(at.getUTCFullYear() % 100)}${pad2(at.getUTCMonth() + 1)}${pad2(at.getUTCDate())}`;
  const ccyymmdd = `${at.getUTCFullYear()}${yymmdd.slice(2)}`;
  const hhmm = `${pad2(at.getUTCHours())}${pad2(at.getUTCMinutes())}`;
  const out: string[] = [];
  let control = BigInt(options.controlNumber);
  for (const interchange of readAnswers(text)) {
    const groups = interchange.groups.filter((g) => answerable(g, options.mode));
    if (groups.length === 0 || !interchange.header.senderId) continue;
    out.push(render997(interchange.header, groups, String(control), { ...options, yymmdd, ccyymmdd, hhmm }));
    control++;
  }
  return out.length === 0 ? undefined : out.join('');
}

function render997(isa: X12InterchangeHeader, groups: GroupAnswer[], ctl: string, o: Build997Options & { yymmdd: string; ccyymmdd: string; hhmm: string }): string {
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
  const first = groups[0]!.group.header;
  const gsVersion = /^\d{6}/.test(first.version) ? first.version.slice(0, 6) : `${version}0`;
  const lines: string[] = [isaText, render(['GS', 'FA', clean(o.sender?.id ?? first.receiverCode ?? isa.receiverId), clean(first.senderCode || isa.senderId), o.ccyymmdd, o.hhmm, ctl, 'X', gsVersion])];
  groups.forEach(({ group, accepted, rejected }, i) => {
    const st = String(i + 1).padStart(4, '0');
    const body: string[][] = [['ST', '997', st], ['AK1', clean(group.header.functionalId), clean(group.header.controlNumber)]];
    for (const set of accepted) body.push(['AK2', clean(set.type), clean(set.controlNumber)], ['AK5', 'A']);
    for (const set of rejected) {
      body.push(['AK2', clean(set.type), clean(set.controlNumber)]);
      const note = set.note;
      if (note) {
        body.push(['AK3', clean(note.segmentId), String(note.position), clean(note.loopId ?? ''), note.code]);
        const e = note.element;
        if (e) body.push(['AK4', String(e.position), e.reference ?? '', e.code, clean(e.data ?? '').slice(0, 99)]);
      }
      body.push(['AK5', 'R', set.code ?? '5']);
    }
    const status = accepted.length === 0 && rejected.length > 0 ? 'R' : rejected.length > 0 ? 'P' : group.envelopeCodes.length > 0 ? 'E' : 'A';
    const declared = group.trailer ? (value(group.trailer, 1) ?? '') : '';
    const included = /^\d+$/.test(declared) ? declared : String(group.stCount);
    body.push(['AK9', status, included, String(group.stCount), String(accepted.length), ...group.envelopeCodes.slice(0, 5)]);
    body.push(['SE', String(body.length + 1), st]);
    lines.push(...body.map(render));
  });
  lines.push(render(['GE', String(groups.length), ctl]), render(['IEA', '1', ctl.padStart(9, '0')]));
  return lines.join('');
}
