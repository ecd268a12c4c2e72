import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as soap from 'soap';
import { ORDERHUB_SETTLEMENTS_WSDL } from '../../connectors/onec/soap-source.ts';

/**
 * A 1C configuration that implements the hub's OrderhubSettlements web service, built with the `soap`
 * package from the project's own WSDL and served over real HTTP at /<infobase>/ws/OrderhubSettlements.1cws
 * (the WSDL at `?wsdl`), Basic auth in front of both, as 1C's web server publishes it.
 */
export interface SoapCounterparty { Ref: string; Code: string; Description: string; INN: string | null; PriceType: string | null; Region: string | null; Manager: string | null; CreditLimit: string | null }
export interface SoapSettlement { DealerCode: string; OpeningBalance: string; Shipped: string; PaidAndReturned: string; ClosingBalance: string; OverdueDebt: string | null; CreditLimit: string | null }
export interface SoapDocument { Ref: string; Kind: 'shipment' | 'payment' | 'return'; Number: string; Date: string; Amount: string; OrderNumber: string | null }

export interface SoapStandIn {
  url: string;
  wsdlUrl: string;
  counterparties: SoapCounterparty[];
  /** By dealer code. */
  settlements: Map<string, SoapSettlement>;
  documents: Map<string, SoapDocument[]>;
  /** Dealer codes whose calls 1C answers with a SOAP fault. */
  faultFor: Map<string, string>;
  calls: { operation: string; args: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startSoapStandIn(options: { user: string; password: string }): Promise<SoapStandIn> {
  const expected = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  const state = { counterparties: [] as SoapCounterparty[], settlements: new Map<string, SoapSettlement>(), documents: new Map<string, SoapDocument[]>(), faultFor: new Map<string, string>(), calls: [] as SoapStandIn['calls'] };
  const fault = (code: unknown) => {
    const reason = state.faultFor.get(String(code));
    if (reason) throw { Fault: { faultcode: 'soap:Server', faultstring: reason } };
  };
  // node-soap's server hands xs:date arguments over as Date objects; 1C's code sees dates, the calls are kept as days.
  const days = (args: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v instanceof Date ? v.toISOString().slice(0, 10) : v])) as Record<string, unknown>;
  const nil = <T extends object>(record: T) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null));
  const services = {
    OrderhubSettlements: {
      OrderhubSettlementsSoap: {
        GetCounterparties(args: Record<string, unknown>) {
          state.calls.push({ operation: 'GetCounterparties', args });
          return { return: { Counterparty: state.counterparties.map(nil) } };
        },
        GetSettlements(raw: Record<string, unknown>) {
          const args = days(raw);
          state.calls.push({ operation: 'GetSettlements', args });
          fault(args.DealerCode);
          const s = state.settlements.get(String(args.DealerCode));
          return { return: s ? nil(s) : { DealerCode: args.DealerCode, OpeningBalance: '0', Shipped: '0', PaidAndReturned: '0', ClosingBalance: '0' } };
        },
        GetDocuments(raw: Record<string, unknown>) {
          const args = days(raw);
          state.calls.push({ operation: 'GetDocuments', args });
          fault(args.DealerCode);
          const from = String(args.DateFrom);
          const to = String(args.DateTo);
          const docs = (state.documents.get(String(args.DealerCode)) ?? []).filter((d) => d.Date.slice(0, 10) >= from && d.Date.slice(0, 10) <= to);
          return { return: { Document: docs.map(nil) } };
        },
      },
    },
  };
  const server = createServer();
  const path = '/trade/ws/OrderhubSettlements.1cws';
  // 1C hands out the WSDL with its own address in it; node-soap routes a call by that address's path too.
  const wsdl = readFileSync(ORDERHUB_SETTLEMENTS_WSDL, 'utf8').replace(/location="http:\/\/localhost\/base\/ws\//g, 'location="http://localhost/trade/ws/');
  const soapServer = soap.listen(server, path, services, wsdl);
  soapServer.authorizeConnection = (req: IncomingMessage, res?: ServerResponse) => {
    if (req.headers.authorization === expected) return true;
    if (res) {
      res.statusCode = 401;
      res.setHeader('www-authenticate', 'Basic realm="1C:Enterprise"');
    }
    return false;
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}${path}`;
  return Object.assign(state, { url, wsdlUrl: `${url}?wsdl`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}
