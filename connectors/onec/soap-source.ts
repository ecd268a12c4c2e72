import { fileURLToPath } from 'node:url';
import * as soap from 'soap';
import { ConnectorError } from '../_kit/connector-error.ts';
import type { AccountingPeriod, AccountingSource, SourceCheck, SourceCounterparty, SourceDocument, SourceDocumentKind, SourceSettlement } from './accounting-source.ts';

/** The hub's WSDL (docs/1c.md, "Settlements web service"): what a 1C developer implements. */
export const ORDERHUB_SETTLEMENTS_WSDL = fileURLToPath(new URL('./wsdl/OrderhubSettlements.wsdl', import.meta.url));

/**
 * The accounting source over the OrderhubSettlements web service a 1C configuration publishes
 * (`http://<host>/<infobase>/ws/OrderhubSettlements.1cws`), SOAP 1.1, Basic auth. For configurations
 * whose OData cannot give settlements (customised registers, computed overdue debt).
 */
export interface SoapSourceOptions {
  /** The WSDL: 1C's `…/ws/OrderhubSettlements.1cws?wsdl` or a file; default: the hub's own copy. */
  wsdl?: string | undefined;
  /** Where the service answers, when not the address in the WSDL (always, with the hub's copy). */
  endpoint?: string | undefined;
  user: string;
  /** A secret: Basic auth only, never in messages. */
  password: string;
  timeoutMs?: number;
}

interface SettlementsClient extends soap.Client {
  GetCounterpartiesAsync(args: object): Promise<[{ return?: { Counterparty?: RawCounterparty | RawCounterparty[] } } | null]>;
  GetSettlementsAsync(args: object): Promise<[{ return?: RawSettlement } | null]>;
  GetDocumentsAsync(args: object): Promise<[{ return?: { Document?: RawDocument | RawDocument[] } } | null]>;
}

type Scalar = string | number | null | undefined | { attributes?: unknown };
interface RawCounterparty { Ref: string; Code: string; Description: string; INN?: Scalar; PriceType?: Scalar; Region?: Scalar; Manager?: Scalar; CreditLimit?: Scalar }
interface RawSettlement { DealerCode: string; OpeningBalance: Scalar; Shipped: Scalar; PaidAndReturned: Scalar; ClosingBalance: Scalar; OverdueDebt?: Scalar; CreditLimit?: Scalar }
interface RawDocument { Ref: string; Kind: string; Number: string; Date: string | Date; Amount: Scalar; OrderNumber?: Scalar }

export class SoapAccountingSource implements AccountingSource {
  readonly kind = 'soap' as const;
  readonly #options: SoapSourceOptions;
  #client: Promise<SettlementsClient> | undefined;

  constructor(options: SoapSourceOptions) {
    this.#options = options;
  }

  async check(): Promise<SourceCheck> {
    try {
      const list = await this.counterparties();
      return { ok: true, message: `1C's OrderhubSettlements web service answers; ${list.length} counterparties.` };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  }

  async counterparties(): Promise<SourceCounterparty[]> {
    const [result] = await this.#call('GetCounterparties', (c) => c.GetCounterpartiesAsync({}));
    return listOf(result?.return?.Counterparty).map((c) => ({
      ref: String(c.Ref),
      code: String(c.Code),
      name: String(c.Description),
      taxId: scalar(c.INN),
      priceColumn: scalar(c.PriceType),
      region: scalar(c.Region),
      manager: scalar(c.Manager),
      creditLimit: scalar(c.CreditLimit),
    }));
  }

  async settlements(period: AccountingPeriod, counterparties: readonly SourceCounterparty[], signal?: AbortSignal): Promise<SourceSettlement[]> {
    const out: SourceSettlement[] = [];
    for (const counterparty of counterparties) {
      signal?.throwIfAborted();
      const [result] = await this.#call('GetSettlements', (c) => c.GetSettlementsAsync({ DealerCode: counterparty.code, DateFrom: period.from, DateTo: period.to }));
      const s = result?.return;
      if (!s) continue;
      out.push({
        counterpartyRef: counterparty.ref,
        opening: scalar(s.OpeningBalance) ?? 0,
        receipt: scalar(s.Shipped) ?? 0,
        expense: scalar(s.PaidAndReturned) ?? 0,
        closing: scalar(s.ClosingBalance) ?? 0,
        overdue: scalar(s.OverdueDebt),
        creditLimit: scalar(s.CreditLimit) ?? counterparty.creditLimit,
      });
    }
    return out;
  }

  async documents(period: AccountingPeriod, counterparties: readonly SourceCounterparty[], signal?: AbortSignal): Promise<SourceDocument[]> {
    const out: SourceDocument[] = [];
    for (const counterparty of counterparties) {
      signal?.throwIfAborted();
      const [result] = await this.#call('GetDocuments', (c) => c.GetDocumentsAsync({ DealerCode: counterparty.code, DateFrom: period.from, DateTo: period.to }));
      for (const d of listOf(result?.return?.Document)) {
        out.push({
          ref: String(d.Ref),
          counterpartyRef: counterparty.ref,
          kind: d.Kind as SourceDocumentKind,
          number: String(d.Number),
          date: d.Date instanceof Date ? localDateTime(d.Date) : String(d.Date),
          amount: scalar(d.Amount) ?? 0,
          orderNumber: scalar(d.OrderNumber),
        });
      }
    }
    return out;
  }

  #connect(): Promise<SettlementsClient> {
    this.#client ??= (async () => {
      const basic = `Basic ${Buffer.from(`${this.#options.user}:${this.#options.password}`).toString('base64')}`;
      const wsdl = this.#options.wsdl ?? ORDERHUB_SETTLEMENTS_WSDL;
      const client = (await soap.createClientAsync(wsdl, {
        // 1C asks for the password before it hands out its WSDL too.
        wsdl_headers: /^https?:/i.test(wsdl) ? { Authorization: basic } : {},
        disableCache: true,
        wsdl_options: { timeout: this.#options.timeoutMs ?? 30_000 },
        // xs:dateTime is 1C's local time without a zone: keep it as text instead of a Date in this process's zone.
        customDeserializer: { dateTime: (text: string) => text, date: (text: string) => text },
      })) as SettlementsClient;
      client.setSecurity(new soap.BasicAuthSecurity(this.#options.user, this.#options.password));
      if (this.#options.endpoint) client.setEndpoint(this.#options.endpoint);
      return client;
    })();
    this.#client.catch(() => {
      this.#client = undefined;
    });
    return this.#client;
  }

  async #call<T>(operation: string, call: (client: SettlementsClient) => Promise<T>): Promise<T> {
    let client: SettlementsClient;
    try {
      client = await this.#connect();
    } catch (error) {
      throw new ConnectorError('upstream_unavailable', `1C web service: could not read the WSDL: ${describe(error)}`, { cause: error });
    }
    try {
      return await call(client);
    } catch (error) {
      const status = (error as { response?: { status?: number } }).response?.status;
      const fault = faultOf(error);
      if (status === 401 || status === 403) throw new ConnectorError('unauthorized', `1C web service ${operation}: 1C refused the user (HTTP ${status}); check HUB_1C_USER / HUB_1C_PASSWORD.`, { status, cause: error });
      if (fault) throw new ConnectorError('upstream_rejected', `1C web service ${operation}: ${fault}`, { status, cause: error });
      if (status && status < 500) throw new ConnectorError('upstream_rejected', `1C web service ${operation}: HTTP ${status}`, { status, cause: error });
      throw new ConnectorError('upstream_unavailable', `1C web service ${operation}: ${describe(error)}`, { status, cause: error });
    }
  }
}

function listOf<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** A nillable element comes back as `{ attributes: { 'xsi:nil': 'true' } }`, absent, or its text. */
function scalar(value: Scalar): string | null {
  if (value === undefined || value === null || typeof value === 'object') return null;
  const s = String(value);
  return s === '' ? null : s;
}

function localDateTime(date: Date): string {
  return date.toISOString().slice(0, 19);
}

/** A SOAP fault's text (1C puts its error in faultstring / Reason). */
function faultOf(error: unknown): string | undefined {
  const root = (error as { root?: { Envelope?: { Body?: { Fault?: Record<string, unknown> } } } }).root;
  const fault = root?.Envelope?.Body?.Fault;
  if (!fault) return undefined;
  const reason = fault.faultstring ?? (fault.Reason as { Text?: unknown } | undefined)?.Text;
  const text = typeof reason === 'object' && reason !== null ? (reason as { $value?: unknown }).$value : reason;
  return `SOAP fault: ${String(text ?? 'without a reason')}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
