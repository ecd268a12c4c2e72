/** The quote lifecycle: drafted and revised, sent, then accepted (and converted once) or lost. */
export const QUOTE_STATUSES = ['draft', 'sent', 'accepted', 'lost', 'converted'] as const;
export type QuoteStatus = (typeof QUOTE_STATUSES)[number];

export type QuoteAction = 'revise' | 'send' | 'accept' | 'lose' | 'convert';

const ALLOWED: Record<QuoteAction, readonly QuoteStatus[]> = {
  revise: ['draft', 'sent'],
  send: ['draft'],
  accept: ['sent'],
  lose: ['draft', 'sent'],
  convert: ['accepted'],
};

/** Guards return a reason instead of throwing. */
export function checkQuoteAction(status: QuoteStatus, action: QuoteAction): { allowed: true } | { allowed: false; reason: string } {
  if (ALLOWED[action].includes(status)) return { allowed: true };
  return { allowed: false, reason: `a ${status} quote cannot be ${action === 'lose' ? 'lost' : `${action}${action.endsWith('e') ? 'd' : 'ed'}`} (allowed when ${ALLOWED[action].join(' or ')})` };
}
