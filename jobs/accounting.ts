import type { AccountingSource } from '../connectors/onec/accounting-source.ts';
import { ODataAccountingSource } from '../connectors/onec/odata-source.ts';
import { resolvePreset } from '../connectors/onec/presets.ts';
import { SoapAccountingSource } from '../connectors/onec/soap-source.ts';
import { HubError } from '../core/errors.ts';
import type { OnecConfig } from './config.ts';

/** The accounting source the configuration names (HUB_1C_*), or a clear refusal when there is none. */
export function accountingSourceOf(config: OnecConfig | undefined): AccountingSource {
  if (!config) {
    throw new HubError('conflict', '1C is not configured: set HUB_1C_ODATA_URL (OData) or HUB_1C_SOAP_WSDL / HUB_1C_SOAP_URL (web service), with HUB_1C_USER and HUB_1C_PASSWORD.', {
      details: { reason: 'accounting_not_configured' },
    });
  }
  if (config.source === 'odata') {
    return new ODataAccountingSource({ url: config.odataUrl!, user: config.user, password: config.password, preset: resolvePreset(config.preset, config.overrides) });
  }
  return new SoapAccountingSource({ wsdl: config.soapWsdl, endpoint: config.soapUrl, user: config.user, password: config.password });
}

/** The period a sync without one covers: the current month up to today (UTC days). */
export function currentMonth(now: Date = new Date()): { from: string; to: string } {
  const today = now.toISOString().slice(0, 10);
  return { from: `${today.slice(0, 8)}01`, to: today };
}
