import type { AccountingSource } from '../connectors/onec/accounting-source.ts';
import { ODataAccountingSource } from '../connectors/onec/odata-source.ts';
import { resolvePreset } from '../connectors/onec/presets.ts';
import { SoapAccountingSource } from '../connectors/onec/soap-source.ts';
import { HubError } from '../core/errors.ts';
import type { AccountingSyncView } from '../core/model/settlements.ts';
import type { HubActions } from '../core/ports.ts';
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

/** The system schedule of the accounting sync (BullMQ scheduler id and job name; the in-process cron's name). */
export const SYNC_ACCOUNTING_JOB = 'sync-accounting';

/** What a runner needs to run the scheduled accounting sync: when (HUB_1C_SCHEDULE) and the hub's actions it calls. */
export interface AccountingSchedule {
  schedule: string;
  actions: Pick<HubActions, 'syncAccounting'>;
}

/**
 * The scheduled sync (HUB_1C_SCHEDULE): dealers first, so a new dealer's settlements are read the
 * same night, then this month's settlements. Each records its own run; a failure is in the run, not thrown.
 */
export async function scheduledAccountingSync(actions: Pick<HubActions, 'syncAccounting'>): Promise<AccountingSyncView[]> {
  if (!actions.syncAccounting) return [];
  const dealers = await actions.syncAccounting({ what: 'dealers', trigger: 'schedule' });
  const settlements = await actions.syncAccounting({ what: 'settlements', trigger: 'schedule' });
  return [dealers, settlements];
}
