import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EdiConfig } from '../connectors/edi/index.ts';
import type { AcknowledgementDocument, AcknowledgementFormat, AcknowledgementLookup, LineAnswer } from '../core/flows/acknowledgement.ts';
import type { OrderDraft } from '../core/model/order.ts';
import { buildContrl, buildOrdrsp, ordrspOrderFromDraft } from '../mappings/edi/edifact/index.ts';
import { ediSyntaxOf } from '../mappings/edi/index.ts';
import { build855, build997, findPurchaseOrder } from '../mappings/edi/x12/index.ts';

/**
 * How an EDI channel's answers are written: EDIFACT ORDRSP or X12 855 (the syntax of the
 * interchange that brought the order), and copied to the channel's outbox directory when one is
 * set. What to answer (line by line from the stock check) is core's rule (core/flows/acknowledgement.ts);
 * this is only the rendering the composition root plugs in.
 */
export const ediAcknowledgements: AcknowledgementFormat = {
  kindOf(payloadBody) {
    const syntax = ediSyntaxOf(payloadBody);
    return syntax === 'edifact' ? 'edifact-ordrsp' : syntax === 'x12' ? 'x12-855' : undefined;
  },
  // An ORDRSP is built from the order's draft and the syntax alone; an 855 reads the payload again up to its 850.
  answersFromHead: (head) => ediSyntaxOf(head) === 'edifact',
  render({ payloadBody, draft, reference, lines, channelConfig }) {
    const syntax = ediSyntaxOf(payloadBody);
    // The answer comes from us as the channel names us, not from whatever id the partner addressed.
    const { ourId, ourQualifier } = (channelConfig ?? {}) as Partial<EdiConfig>;
    const sender = ourId ? { id: ourId, qualifier: ourQualifier } : undefined;
    if (syntax === 'edifact') return ordrspFor(draft, reference, lines, sender);
    if (syntax === 'x12') return ackFor855(draft, payloadBody, reference, lines, sender);
    return undefined;
  },
  syntaxReportKind(payloadBody, channelConfig) {
    const { syntaxAcknowledgement } = (channelConfig ?? {}) as Partial<EdiConfig>;
    if (!syntaxAcknowledgement || syntaxAcknowledgement === 'none') return undefined;
    const syntax = ediSyntaxOf(payloadBody);
    return syntax === 'edifact' ? 'edifact-contrl' : syntax === 'x12' ? 'x12-997' : undefined;
  },
  syntaxReport({ payloadBody, reference, channelConfig, duplicateInterchanges }) {
    const { syntaxAcknowledgement, ourId, ourQualifier } = (channelConfig ?? {}) as Partial<EdiConfig>;
    if (!syntaxAcknowledgement || syntaxAcknowledgement === 'none') return undefined;
    const sender = ourId ? { id: ourId, qualifier: ourQualifier } : undefined;
    const syntax = ediSyntaxOf(payloadBody);
    if (syntax === 'edifact') {
      const body = buildContrl(payloadBody, { controlRef: reference, mode: syntaxAcknowledgement, sender, duplicates: duplicateInterchanges });
      return body ? { kind: 'edifact-contrl', reference, fileName: `CONTRL-${reference}.edi`, contentType: 'application/edifact; charset=utf-8', body } : undefined;
    }
    if (syntax === 'x12') {
      const body = build997(payloadBody, { controlNumber: reference, mode: syntaxAcknowledgement, sender, segmentSuffix: '\n' });
      return body ? { kind: 'x12-997', reference, fileName: `997-${reference}.x12`, contentType: 'application/edi-x12; charset=utf-8', body } : undefined;
    }
    return undefined;
  },
  async deliver(channelConfig, document) {
    const { outboxDir } = channelConfig as EdiConfig;
    if (!outboxDir) return;
    await mkdir(outboxDir, { recursive: true });
    await writeFile(join(outboxDir, document.fileName), document.body, 'utf8');
  },
};

/** The channels that are answered, by connector type. */
export const acknowledgementFor: AcknowledgementLookup = (connectorType) => (connectorType === 'edi' ? ediAcknowledgements : undefined);

type Sender = { id: string; qualifier?: string | undefined } | undefined;

function ordrspFor(draft: OrderDraft, reference: string, lines: LineAnswer[] | undefined, sender: Sender): AcknowledgementDocument | undefined {
  const order = ordrspOrderFromDraft(draft);
  if (!order) return undefined;
  return {
    kind: 'edifact-ordrsp',
    reference,
    fileName: `ORDRSP-${safe(draft.number ?? draft.externalId)}-${reference}.edi`,
    contentType: 'application/edifact; charset=utf-8',
    body: buildOrdrsp(order, { controlRef: reference, sender, ...(lines && { lines }) }),
  };
}

function ackFor855(draft: OrderDraft, payloadBody: string, reference: string, lines: LineAnswer[] | undefined, sender: Sender): AcknowledgementDocument | undefined {
  // The payload is read set by set up to the order's 850, not parsed whole for each order's answer.
  const po = findPurchaseOrder(payloadBody, (o) => `${o.interchange.senderId}:${o.poNumber}` === draft.externalId);
  if (!po) return undefined;
  return {
    kind: 'x12-855',
    reference,
    fileName: `855-${safe(po.poNumber)}-${reference}.x12`,
    contentType: 'application/edi-x12; charset=utf-8',
    body: build855(po, { controlNumbers: { interchange: reference, group: reference, transactionSet: '0001' }, segmentSuffix: '\n', sender, ...(lines && { lines }) }),
  };
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
}
