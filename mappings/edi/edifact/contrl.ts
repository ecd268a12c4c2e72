/**
 * CONTRL (ISO 9735 syntax and service report) for the interchanges of one received payload: what the
 * partner hears about syntax — not about the orders' content, which the ORDRSP answers.
 *
 * Decisions:
 * - One CONTRL interchange per received interchange that is answered, with sender and recipient swapped
 *   (or the channel's ourId as sender); a received interchange of CONTRL messages is never answered.
 * - UCI action 4 (rejected) when nothing of the interchange could be taken: its UNB has no control
 *   reference or sender, or every message was rejected; otherwise 7 (acknowledged, lower levels too
 *   unless rejected). The UCI error code is the first interchange error's (13 missing, 33 segment
 *   outside a message, 18 otherwise).
 * - One UCM per rejected message, action 4, with the error code of its first syntax error (29 UNT
 *   count, 28 UNT reference, 13 missing UNT or reference, 18 otherwise) and UNT as the segment when
 *   the count or reference was wrong. Accepted messages get no UCM (UCI 7 covers them).
 * - An interchange the hub refused as a duplicate (its control reference already received from the
 *   partner) is rejected whole: UCI action 4, error 26.
 * - mode `rejections` answers only interchanges with a rejected message or an interchange error;
 *   `all` answers every interchange. Envelope warnings (UNZ count, unknown syntax id) reject nothing,
 *   so they are reported as acknowledged.
 * - Message version: CONTRL:D:3:UN for syntax version 3, CONTRL:4:1:UN for 4, CONTRL:2:2:UN before.
 */
import { assembleEdifact, type EdifactIssue, type EdifactMessage, type Interchange, type PartyId } from './interchange.ts';
import { DEFAULT_DELIMITERS, segmentWriter } from './tokenizer.ts';

export interface ContrlOptions {
  /** Interchange control reference of the (first) CONTRL interchange; later ones get `-2`, `-3` … */
  controlRef: string;
  mode: 'rejections' | 'all';
  preparedAt?: Date;
  /** Who answers (the channel's ourId / ourQualifier); default the received interchange's recipient. */
  sender?: { id: string; qualifier?: string | undefined } | undefined;
  /** Written after each terminator; default ''. */
  lineBreak?: string;
  /**
   * Interchange control references the hub refused as duplicates (already received from this partner):
   * those interchanges are rejected whole, UCI action 4, error 26 (duplicate detected). A numeric
   * reference matches without its leading zeros.
   */
  duplicates?: string[] | undefined;
}

interface MessageReport {
  ref: string;
  identifier: string[];
  error?: EdifactIssue;
}

interface InterchangeReport {
  interchange: Interchange;
  messages: MessageReport[];
  rejected: number;
  contrl: boolean;
}

const KNOWN_SYNTAX_IDS = new Set(['UNOA', 'UNOB', 'UNOC', 'UNOD', 'UNOE', 'UNOF', 'UNOG', 'UNOH', 'UNOI', 'UNOJ', 'UNOK', 'UNOW', 'UNOX', 'UNOY']);

function identifierOf(message: EdifactMessage): string[] {
  const parts = [message.type, message.version, message.release, message.agency, message.associationCode ?? ''];
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Reads the payload's interchanges with their message verdicts (streaming: message segments are not kept). */
function reportsOf(text: string): InterchangeReport[] {
  const reports = new Map<Interchange, InterchangeReport>();
  const reportOf = (interchange: Interchange): InterchangeReport => {
    let report = reports.get(interchange);
    if (!report) {
      report = { interchange, messages: [], rejected: 0, contrl: false };
      reports.set(interchange, report);
    }
    return report;
  };
  const interchanges = assembleEdifact(text, {
    keepMessages: false,
    onMessage(message, interchange) {
      const report = reportOf(interchange);
      if (message.type === 'CONTRL') report.contrl = true;
      const entry: MessageReport = { ref: message.ref, identifier: identifierOf(message) };
      if (message.errors[0]) {
        entry.error = message.errors[0];
        report.rejected++;
      }
      report.messages.push(entry);
    },
  });
  return interchanges.map(reportOf);
}

/**
 * The CONTRL answer to a received payload, or undefined when nothing is to be answered (mode
 * `rejections` and no syntax error, no readable UNB to answer, or only CONTRL messages received).
 */
export function buildContrl(text: string, options: ContrlOptions): string | undefined {
  const d = DEFAULT_DELIMITERS;
  const lineBreak = options.lineBreak ?? '';
  const segment = segmentWriter(d, lineBreak);
  const party = (p: PartyId | undefined): string[] => (p ? [p.id, p.qualifier ?? ''] : []);

  const at = options.preparedAt ?? new Date();
  const iso = at.toISOString();
  const out: string[] = [];
  let answered = 0;
  for (const report of reportsOf(text)) {
    const { interchange } = report;
    const header = interchange.header;
    if (!header?.sender.id || report.contrl) continue;
    const duplicate = (options.duplicates ?? []).includes(/^\d+$/.test(header.controlRef) ? BigInt(header.controlRef).toString() : header.controlRef.trim());
    const broken = duplicate || interchange.errors.length > 0 || report.rejected > 0;
    if (options.mode === 'rejections' && !broken) continue;
    const rejectedWhole = duplicate || !header.controlRef || (report.messages.length > 0 && report.rejected === report.messages.length) || (report.messages.length === 0 && interchange.errors.length > 0);
    const ref = answered === 0 ? options.controlRef : `${options.controlRef}-${answered + 1}`;
    answered++;

    const version = header.syntaxVersion || '3';
    const contrlId = version === '4' ? ['CONTRL', '4', '1', 'UN'] : version === '3' ? ['CONTRL', 'D', '3', 'UN'] : ['CONTRL', '2', '2', 'UN'];
    const message: string[] = [segment('UNH', '1', contrlId)];
    const uciError = duplicate ? '26' : interchange.errors[0] ? (interchange.errors[0].syntaxError ?? '18') : undefined;
    message.push(segment('UCI', header.controlRef, party(header.sender), party(header.recipient), rejectedWhole ? '4' : '7', uciError));
    for (const m of report.messages) {
      if (!m.error) continue;
      const code = m.error.syntaxError ?? '18';
      message.push(segment('UCM', m.ref, m.identifier, '4', code, code === '28' || code === '29' ? 'UNT' : undefined));
    }
    message.push(segment('UNT', String(message.length + 1), '1'));

    const date = version === '4' ? iso.slice(0, 10).replace(/-/g, '') : iso.slice(2, 10).replace(/-/g, '');
    const time = iso.slice(11, 16).replace(':', '');
    const from = options.sender ? [options.sender.id, options.sender.qualifier ?? ''] : party(header.recipient);
    if (out.length === 0) out.push(`UNA${d.component}${d.element}${d.decimal}${d.release} ${d.segment}${lineBreak}`);
    out.push(segment('UNB', [KNOWN_SYNTAX_IDS.has(header.syntaxId) ? header.syntaxId : 'UNOC', version], from, party(header.sender), [date, time], ref));
    out.push(...message);
    out.push(segment('UNZ', '1', ref));
  }
  return answered === 0 ? undefined : out.join('');
}
