import type { Database } from '../core/db/database.ts';
import { DealerService } from '../core/dealers/dealer-service.ts';
import { DistributionConfigs } from '../core/distribution/distribution-configs.ts';
import { RegionService } from '../core/regions/region-service.ts';

/**
 * The demo's dealer network: the regions the sandbox shops deliver to, a few dealers with points,
 * and a strategy with every kind of tier a manufacturer starts with (best-rated first, then a
 * priority dealer, then everyone of the region, the rest of Europe to the export desk), so the
 * shops' orders are offered to dealers as they arrive.
 */
/** The demo's dealers, by code. */
export const DEMO_DEALERS = ['BP-KERT', 'BP-PAD', 'KELET', 'NYUGAT', 'EXPORT', 'DEPT'] as const;

export async function setUpDealerNetwork(db: Database): Promise<void> {
  await new RegionService(db).load([
    { code: 'HU', name: 'Hungary', level: 'country' },
    { code: 'HU-BU', name: 'Budapest', level: 'region', parentCode: 'HU' },
    { code: 'HU-HB', name: 'Hajdú-Bihar', level: 'region', parentCode: 'HU' },
    { code: 'HU-CS', name: 'Csongrád-Csanád', level: 'region', parentCode: 'HU' },
    { code: 'HU-BA', name: 'Baranya', level: 'region', parentCode: 'HU' },
    { code: 'HU-GS', name: 'Győr-Moson-Sopron', level: 'region', parentCode: 'HU' },
    { code: 'AT', name: 'Austria', level: 'country' },
    { code: 'DE', name: 'Germany', level: 'country' },
    { code: 'DE-BE', name: 'Berlin', level: 'region', parentCode: 'DE' },
    { code: 'SK', name: 'Slovakia', level: 'country' },
  ]);
  const dealers = new DealerService(db);
  await dealers.load([
    { code: 'BP-KERT', name: 'Kert és Otthon Kft.', mainRegion: 'HU-BU', authorised: true, wholeRange: true, contacts: { phones: ['+36 1 555 0101'] } },
    { code: 'BP-PAD', name: 'Padvilág Bt.', mainRegion: 'HU-BU', authorised: true, wholeRange: true },
    { code: 'KELET', name: 'Kelet Kertcentrum', mainRegion: 'HU-HB', extraRegions: ['HU-CS'], authorised: true, wholeRange: true },
    { code: 'NYUGAT', name: 'Nyugat Bútor', mainRegion: 'HU-GS', extraRegions: ['HU-BA'], authorised: true, wholeRange: true },
    { code: 'EXPORT', name: 'Export desk', mainRegion: 'AT', extraRegions: ['DE', 'SK'], authorised: true, wholeRange: true },
    { code: 'DEPT', name: 'Order distribution department', mainRegion: 'HU', authorised: true, wholeRange: true, acceptsSiteOrders: false },
  ]);
  for (const [code, points] of [['BP-KERT', 600], ['KELET', 250], ['BP-PAD', 100]] as const) {
    await dealers.adjustPoints(code, { delta: points, note: 'demo: completed orders before the demo' }, 'demo');
  }
  await new DistributionConfigs(db).save(
    {
      // The seed's example points (001): +100 for a completed order, −50 for one the dealer cancels.
      settings: { fallbackDealer: 'DEPT', pointsOnCompletion: 100, pointsOnDealerCancel: 50 },
      tiers: [
        { kind: 'rating', name: 'best rated', windowMinutes: 5, minPoints: 500 },
        { kind: 'base', name: 'region, priority first', windowMinutes: 30, delayMinutes: 10, priorityDealers: ['BP-PAD'] },
        { kind: 'taxi', name: 'everyone', windowMinutes: 60, scope: 'everywhere' },
      ],
    },
    'demo',
    'demo strategy',
  );
}
