import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../core/db/generated/client.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';

/**
 * schema.prisma and the hand-written SQL migrations must describe the same tables. Every model is
 * written with every scalar field set (to a non-default value) and read back through the client
 * on a freshly migrated database; a field the SQL lacks or types differently fails here.
 */
const at = new Date('2026-11-20T10:11:12.345Z');

const records = {
  Channel: {
    id: '00000000-0000-4000-8000-000000000001', kind: 'edi', connectorType: 'woocommerce', name: 'Agreement shop',
    config: { url: 'https://shop.example', nested: { a: [1, 2] } }, enabled: false, mapping: { statusMap: { processing: 'on_hold' } },
    labels: ['franchise', 'b2b'], syncSchedule: '*/7 * * * *', syncState: { modifiedAfter: '2026-11-20T00:00:00Z' }, syncLeaseOwner: 'worker-1', syncLeaseUntil: at,
    reconcileSchedule: '30 2 * * *', reconcileWindowDays: 14,
    createdAt: at, updatedAt: at,
  },
  SyncRun: {
    id: '00000000-0000-4000-8000-000000000002', channelId: '00000000-0000-4000-8000-000000000001', trigger: 'manual', status: 'failed',
    startedAt: at, finishedAt: at, pages: 3, received: 4, created: 5, updated: 6, unchanged: 7, failed: 8, errorCode: 'unauthorized', error: 'bad key', leaseOwner: 'worker-1/run-1',
    errors: [{ page: 2, source: 'memory://p2', payloadId: 'p', code: 'invalid_data', message: 'not JSON' }, { page: null, source: null, payloadId: null, code: 'unauthorized', message: 'bad key' }],
    warnings: [{ page: 1, message: 'The stored cursor was reset.' }],
    findings: { checked: 3, missing: 1, stale: 0, fetched: 1, failed: 0 }, requestedBy: 'cli:ops',
  },
  RawPayload: {
    id: '00000000-0000-4000-8000-000000000003', channelId: '00000000-0000-4000-8000-000000000001', kind: 'webhook', source: 'order.updated',
    contentType: 'application/json', body: new Uint8Array([0x7b, 0x00, 0xff, 0x7d]), encoding: 'binary', hash: 'abc', receivedAt: at, lastReceivedAt: at, receivedCount: 2, status: 'partial',
    errorCode: 'invalid_data', error: 'line 2: no sku', orderCount: 9, attempts: 3, unfinishedTries: 1, lastTryAt: at, processedAt: at,
    warnings: ['interchange 7: UNZ says "3" messages, the interchange holds 1'],
    acknowledgedAt: at, acknowledgedBy: 'anna.ops', acknowledgeReason: 'test order, ignore', resolvedAt: at, resolvedBy: 'bob.ops',
    bodyPurgedAt: at, bodyArchive: '/data/archive/payloads-2026-11-20.ndjson.gz', bodyBytes: 4,
  },
  InterchangeControl: {
    channelId: '00000000-0000-4000-8000-000000000001', syntax: 'x12', sender: 'SENDER1:ZZ', level: 'group', controlRef: '42',
    rawPayloadId: '00000000-0000-4000-8000-000000000003', receivedAt: at,
  },
  Order: {
    id: '00000000-0000-4000-8000-000000000004', channelId: '00000000-0000-4000-8000-000000000001', externalId: 'E-1', number: 'N-1',
    status: 'received', sourceStatus: 'processing', sourceStatusId: '2', statusBy: 'hub', source: { shop: 's', utm: { source: 'google' } }, customer: { name: 'C' },
    billingAddress: { city: 'Szeged' }, shippingAddress: { city: 'Pécs' }, region: 'HU-BA', currency: 'HUF',
    subtotal: new Prisma.Decimal('1.1111'), discountTotal: new Prisma.Decimal('2.2222'), shippingTotal: new Prisma.Decimal('3.3333'),
    feeTotal: new Prisma.Decimal('4.4444'), taxTotal: new Prisma.Decimal('5.5555'), total: new Prisma.Decimal('12345678901234.5678'),
    notes: 'ring twice', desiredDeliveryDate: new Date('2026-12-01T00:00:00.000Z'), placedAt: at, sourceUpdatedAt: at,
    contentHash: 'h', version: 4, quoteId: '00000000-0000-4000-8000-000000000007', createdAt: at, updatedAt: at,
  },
  OrderLine: {
    id: '00000000-0000-4000-8000-000000000005', orderId: '00000000-0000-4000-8000-000000000004', position: 2, kind: 'fee', externalId: 'L-1',
    sku: 'SKU', name: 'Line', quantity: new Prisma.Decimal('1.5'), unitPrice: new Prisma.Decimal('0.333333'), subtotal: new Prisma.Decimal('0.5'),
    discount: new Prisma.Decimal('0.1'), tax: new Prisma.Decimal('0.0999'), total: new Prisma.Decimal('0.4'), attributes: { pa_color: 'red' },
  },
  OrderRefund: {
    id: '00000000-0000-4000-8000-0000000000f1', orderId: '00000000-0000-4000-8000-000000000004', externalId: 'R-1',
    amount: new Prisma.Decimal('12345678901234.5678'), reason: 'changed mind', lines: [{ id: 1, quantity: -1 }], refundedAt: at, createdAt: at, updatedAt: at,
  },
  OrderVersion: {
    id: '00000000-0000-4000-8000-000000000006', orderId: '00000000-0000-4000-8000-000000000004', version: 4, contentHash: 'h',
    changes: [{ field: 'status', from: 'a', to: 'b' }], snapshot: { externalId: 'E-1' }, rawPayloadId: '00000000-0000-4000-8000-000000000003', createdAt: at,
  },
  Quote: {
    id: '00000000-0000-4000-8000-000000000007', number: 'Q-1', channelId: '00000000-0000-4000-8000-000000000001', status: 'converted', version: 3,
    content: { currency: 'HUF', lines: [] }, createdBy: 'anna', lostReason: 'none', sentAt: at, acceptedAt: at, lostAt: at, convertedAt: at,
    orderId: '00000000-0000-4000-8000-000000000004', createdAt: at, updatedAt: at,
  },
  QuoteVersion: {
    id: '00000000-0000-4000-8000-000000000008', quoteId: '00000000-0000-4000-8000-000000000007', version: 3, content: { currency: 'EUR' },
    changedBy: 'bela', createdAt: at,
  },
  OutboundDocument: {
    id: '00000000-0000-4000-8000-000000000009', channelId: '00000000-0000-4000-8000-000000000001', orderId: '00000000-0000-4000-8000-000000000004',
    rawPayloadId: '00000000-0000-4000-8000-000000000003', kind: 'edifact-ordrsp', reference: '000000042', dedupKey: 'payload|order|1', fileName: 'ordrsp-42.edi',
    contentType: 'application/edifact', body: "UNA:+.? 'UNB+UNOC:3'", createdAt: at, fetchedAt: at,
  },
  ChannelStatusUpdate: {
    id: '00000000-0000-4000-8000-000000000090', channelId: '00000000-0000-4000-8000-000000000001', orderId: '00000000-0000-4000-8000-000000000004',
    externalId: 'E-1', coreStatus: 'completed', channelStatus: 'completed', cause: 'dealer D-17 completed the order', state: 'failed', attempts: 3,
    nextAttemptAt: at, lastError: 'HTTP 503', history: [{ at: '2026-11-20T10:11:12.345Z', outcome: 'failed', retryable: true }], sentAt: at,
    createdAt: at, updatedAt: at,
  },
  Region: {
    id: '00000000-0000-4000-8000-000000000010', code: 'RU-MOW', name: 'Moscow', level: 'region', parentId: '00000000-0000-4000-8000-000000000011',
    path: '/RU/RU-MOW/', createdAt: at,
  },
  Product: {
    id: '00000000-0000-4000-8000-000000000012', sku: 'TILE-60', name: 'Porcelain 60x60', productLine: 'Marble', brand: 'NOVUS', unit: 'm2',
    externalId: 'bd72d8f9-55bc-11d9-848a-00112f43529a#bd72d8fa', parentId: '00000000-0000-4000-8000-000000000012', catalogueId: 'CAT-1',
    article: 'ART-60', barcode: '4600000000011', unitCode: '055', description: 'Glazed', manufacturer: 'NOVUS plant', groupIds: ['G-1', 'G-2'],
    properties: [{ propertyId: 'P-1', value: '1,4' }], requisites: [{ name: 'ВидНоменклатуры', value: 'Товар' }], active: false, seenAt: at,
    createdAt: at, updatedAt: at,
  },
  CatalogueGroup: { id: '00000000-0000-4000-8000-000000000040', externalId: 'G-2', name: 'Floor tiles', parentExternalId: 'G-1', createdAt: at, updatedAt: at },
  CatalogueProperty: {
    id: '00000000-0000-4000-8000-000000000041', externalId: 'P-1', name: 'Colour', valueType: 'Справочник', choices: [{ id: 'c1', value: 'White' }], createdAt: at, updatedAt: at,
  },
  PriceColumn: {
    id: '00000000-0000-4000-8000-000000000042', code: 'PT-1', name: 'Оптовая', currency: 'RUB', vatIncluded: true, taxName: 'НДС', placeholder: true, createdAt: at, updatedAt: at,
  },
  Price: {
    id: 9007199254741005n, productId: '00000000-0000-4000-8000-000000000012', priceColumnId: '00000000-0000-4000-8000-000000000042',
    unitPrice: new Prisma.Decimal('123456789012.123456'), currency: 'RUB', unit: 'шт', factor: '1', validFrom: at, validTo: at, exchangeId: 'X-1',
  },
  DealerPriceColumnRegion: {
    dealerId: '00000000-0000-4000-8000-000000000018', regionId: '00000000-0000-4000-8000-000000000010', priceColumnId: '00000000-0000-4000-8000-000000000042',
  },
  Warehouse: { id: '00000000-0000-4000-8000-000000000013', code: 'MSK-1', name: 'Moscow warehouse', createdAt: at },
  StockLevel: {
    productId: '00000000-0000-4000-8000-000000000012', warehouseId: '00000000-0000-4000-8000-000000000013', onHand: new Prisma.Decimal('12345678901234.5678'),
    updatedAt: at,
  },
  IncomingSupply: {
    id: '00000000-0000-4000-8000-000000000014', productId: '00000000-0000-4000-8000-000000000012', warehouseId: '00000000-0000-4000-8000-000000000013',
    reference: 'PO-77', quantity: new Prisma.Decimal('70.5'), received: new Prisma.Decimal('0.25'), expectedOn: new Date('2026-04-15T00:00:00.000Z'),
    status: 'received', createdAt: at, updatedAt: at,
  },
  Reservation: {
    id: '00000000-0000-4000-8000-000000000015', orderId: '00000000-0000-4000-8000-000000000004', linePosition: 3,
    productId: '00000000-0000-4000-8000-000000000012', warehouseId: '00000000-0000-4000-8000-000000000013', source: 'incoming',
    supplyId: '00000000-0000-4000-8000-000000000014', quantity: new Prisma.Decimal('0.0001'), neededBy: new Date('2026-04-17T00:00:00.000Z'),
    status: 'shipped', createdAt: at, updatedAt: at,
  },
  StockMovement: {
    id: 9007199254740993n, productId: '00000000-0000-4000-8000-000000000012', warehouseId: '00000000-0000-4000-8000-000000000013', kind: 'move',
    onHandDelta: new Prisma.Decimal('-1.5'), incomingDelta: new Prisma.Decimal('-2.25'), reservedDelta: new Prisma.Decimal('3.0001'),
    supplyId: '00000000-0000-4000-8000-000000000014', reservationId: '00000000-0000-4000-8000-000000000015', orderId: '00000000-0000-4000-8000-000000000004',
    reason: 'supply PO-77 arrived', createdAt: at,
  },
  StockCheck: {
    id: '00000000-0000-4000-8000-000000000016', orderId: '00000000-0000-4000-8000-000000000004', orderVersion: 4, result: 'partial',
    lines: [{ position: 1, sku: 'TILE-60', allocated: '20', shortfall: '5' }], reviewStatus: 'resolved', reason: 'line 1: short 5',
    resolution: 'wait_for_supply', resolvedBy: 'manager', resolvedAt: at, note: 'dealer waits', createdAt: at,
  },
  ExclusivityRule: {
    id: '00000000-0000-4000-8000-000000000017', scope: 'brand', value: 'NOVUS', regionId: '00000000-0000-4000-8000-000000000010',
    dealerCodes: ['D-1', 'D-2'], validFrom: new Date('2026-01-01T00:00:00.000Z'), validTo: new Date('2026-12-31T00:00:00.000Z'), externalId: '1C-RULE-1',
    note: 'supplier exclusive', createdAt: at, updatedAt: at,
  },
  Dealer: {
    id: '00000000-0000-4000-8000-000000000018', code: 'D-1', name: 'Keramika', logoUrl: 'https://cdn.example/d1.png', authorised: true, acceptsSiteOrders: false,
    callFromSite: true, active: false, contacts: { phones: ['+7 495 000'], emails: ['a@d1.example'], site: 'https://d1.example', address: 'Tverskaya 1' },
    description: 'Since 1999', wholeRange: true, productLines: ['Marble', 'Basic'], ownPricesAllowed: true, priceColumn: 'B', points: -7, takesCount: 3,
    takeSecondsTotal: 9007199254740995n, createdAt: at, updatedAt: at, taxId: '7701234567', accountingRef: '6f1a2b3c-0000-4000-8000-000000000001', accountManager: 'Иванова А.',
  },
  DealerRegion: { dealerId: '00000000-0000-4000-8000-000000000018', regionId: '00000000-0000-4000-8000-000000000010', isMain: true },
  DealerAssortment: {
    dealerId: '00000000-0000-4000-8000-000000000018', productId: '00000000-0000-4000-8000-000000000012', ownPrice: new Prisma.Decimal('123456789012.123456'),
    updatedAt: at,
  },
  DealerManager: {
    id: '00000000-0000-4000-8000-000000000019', dealerId: '00000000-0000-4000-8000-000000000018', login: 'anna', name: 'Anna', email: 'anna@d1.example',
    phone: '+7 900', isHead: true, active: false, createdAt: at,
  },
  Promotion: {
    id: '00000000-0000-4000-8000-000000000020', code: 'SPRING', name: 'Spring sale', description: 'Minus 10%', validFrom: new Date('2027-03-01T00:00:00.000Z'),
    validTo: new Date('2027-05-31T00:00:00.000Z'), createdAt: at,
  },
  DealerPromotion: { dealerId: '00000000-0000-4000-8000-000000000018', promotionId: '00000000-0000-4000-8000-000000000020', joinedAt: at },
  DealerPointsChange: {
    id: 9007199254740997n, dealerId: '00000000-0000-4000-8000-000000000018', delta: -7, balance: -7, cause: 'cancelled_by_dealer',
    orderId: '00000000-0000-4000-8000-000000000004', note: 'cancelled after taking', changedBy: 'admin', createdAt: at,
  },
  DistributionConfig: {
    id: '00000000-0000-4000-8000-000000000021', version: 3, config: { tiers: [{ kind: 'region', minutes: 15 }] }, note: 'longer first tier',
    createdBy: 'admin', createdAt: at,
  },
  OrderDistribution: {
    orderId: '00000000-0000-4000-8000-000000000004', status: 'in_progress', configVersion: 3, orderVersion: 4, round: 2, revision: 5, startedAt: at,
    deadlineAt: at, dealerId: '00000000-0000-4000-8000-000000000018', assignedVia: 'take', assignedAt: at, quotaDealerId: '00000000-0000-4000-8000-000000000018',
    dueAt: at, completedAt: at, cancelledAt: at, cancelledBy: 'dealer', cancelReason: 'no stock', overdueNotifiedAt: at,
    trace: { considered: ['D-1'], filtered: [{ dealer: 'D-2', reason: 'inactive' }] }, updatedAt: at,
    responsibleManagerId: '00000000-0000-4000-8000-000000000019',
  },
  DealerOffer: {
    id: '00000000-0000-4000-8000-000000000022', orderId: '00000000-0000-4000-8000-000000000004', round: 2, dealerId: '00000000-0000-4000-8000-000000000018',
    tier: 1, tierKind: 'rating', rank: 4, visibleFrom: at, expiresAt: at, status: 'declined', declineReason: 'too far', respondedAt: at, notifiedAt: at,
    createdAt: at,
  },
  OrderStep: {
    id: 9007199254740998n, orderId: '00000000-0000-4000-8000-000000000004', step: 'stock', key: 'v4', outcome: 'failed', attempts: 2,
    error: 'locked', nextAttemptAt: at, detail: { action: 'reserve' }, createdAt: at, updatedAt: at,
  },
  DistributionEvent: {
    id: 9007199254740999n, orderId: '00000000-0000-4000-8000-000000000004', kind: 'offered', dealerId: '00000000-0000-4000-8000-000000000018',
    actor: 'system', detail: { tier: 1, dealers: ['D-1'] }, createdAt: at,
  },
  Notification: {
    id: 9007199254741001n, dealerId: '00000000-0000-4000-8000-000000000018', orderId: '00000000-0000-4000-8000-000000000004', kind: 'offer',
    message: 'A new order is offered to you', createdAt: at, readAt: at,
  },
  HubUser: {
    id: '00000000-0000-4000-8000-000000000023', login: 'anna', name: 'Anna Kiss', roles: ['desk', 'ops'], dealerManagerId: '00000000-0000-4000-8000-000000000019',
    passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA', passwordChangedAt: at, disabledAt: at, createdBy: 'cli:root', createdAt: at, updatedAt: at,
  },
  AuthSession: {
    id: 'b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c', userId: '00000000-0000-4000-8000-000000000023', createdAt: at, lastSeenAt: at,
    expiresAt: at, ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (agreement)',
  },
  ApiToken: {
    id: '00000000-0000-4000-8000-000000000024', userId: '00000000-0000-4000-8000-000000000023', name: '1C exchange',
    tokenHash: '7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730', prefix: 'hub_7d86', expiresAt: at, lastUsedAt: at,
    lastUsedIp: '198.51.100.9', revokedAt: at, revokedBy: 'admin', createdBy: 'anna', createdAt: at,
  },
  LoginThrottle: { key: 'login:anna', failures: 4, windowStartedAt: at, lockedUntil: at },
  WorkerHeartbeat: { id: 'worker-1.example/4242', kind: 'worker', startedAt: at, seenAt: at },
  DealerSettlement: {
    id: '00000000-0000-4000-8000-000000000030', dealerId: '00000000-0000-4000-8000-000000000018', periodFrom: new Date('2026-01-01T00:00:00.000Z'),
    periodTo: new Date('2026-01-31T00:00:00.000Z'), opening: new Prisma.Decimal('1000.10'), shipped: new Prisma.Decimal('2000.20'), paid: new Prisma.Decimal('1500.30'),
    returns: new Prisma.Decimal('100.40'), closing: new Prisma.Decimal('1399.60'), overdue: new Prisma.Decimal('-12.34'), creditLimit: new Prisma.Decimal('9999999999999999.99'),
    currency: 'RUB', syncId: '00000000-0000-4000-8000-000000000032', syncedAt: at,
  },
  SettlementDocument: {
    id: '00000000-0000-4000-8000-000000000031', dealerId: '00000000-0000-4000-8000-000000000018', sourceRef: 'a1b2c3d4-0000-4000-8000-000000000099', kind: 'payment',
    number: 'ПП-000123', date: at, amount: new Prisma.Decimal('1500.30'), orderNumber: 'N-1', orderId: '00000000-0000-4000-8000-000000000004', syncedAt: at,
  },
  AccountingSync: {
    id: '00000000-0000-4000-8000-000000000032', kind: 'settlements', source: 'odata', trigger: 'manual', status: 'partial', periodFrom: new Date('2026-01-01T00:00:00.000Z'),
    periodTo: new Date('2026-01-31T00:00:00.000Z'), startedAt: at, finishedAt: at, received: 5, created: 1, updated: 2, unchanged: 1, failed: 1, documents: 7,
    errorCode: 'upstream_rejected', error: 'Ошибка', errors: [{ dealer: 'D-1', code: 'invalid_data', message: 'no region' }], requestedBy: 'anna',
  },
  AuditEvent: {
    id: 9007199254741003n, at, kind: 'change', action: 'user.create', actor: 'admin', actorUserId: '00000000-0000-4000-8000-000000000023', via: 'token',
    ip: '192.0.2.1', targetType: 'user', targetId: 'anna', status: 201, before: { roles: ['desk'] }, after: { roles: ['desk', 'ops'] },
    details: { params: { login: 'anna' } },
  },
  OnecExchangeSession: {
    id: '00000000-0000-4000-8000-000000000031', secretHash: 'f00d', userId: '00000000-0000-4000-8000-000000000023', login: 'onec', type: 'sale', channelId: '00000000-0000-4000-8000-000000000001',
    status: 'failed', steps: [{ mode: 'checkauth', answer: 'success', ms: 3, at: '2026-11-20T10:11:12.345Z' }], counts: { products: 7 }, error: 'import.xml: not XML',
    createdAt: at, lastSeenAt: at, expiresAt: at, finishedAt: at,
  },
  OnecExchangeFile: {
    id: '00000000-0000-4000-8000-000000000032', sessionId: '00000000-0000-4000-8000-000000000031', name: 'import_files/ab/abc.jpg', size: 9007199254741005n, chunks: 3,
    status: 'failed', position: 42, counts: { offers: 3 }, package: { kind: 'package', document: 'offers' }, error: 'truncated', unpackedFrom: '00000000-0000-4000-8000-000000000033',
    importStartedAt: at, importedAt: at, createdAt: at, updatedAt: at, bytesPurgedAt: at, bytesArchive: '/var/lib/orderhub/archive/onec-exchange-2026-12-04.ndjson.gz',
  },
  OnecExchangeFileChunk: { fileId: '00000000-0000-4000-8000-000000000032', seq: 2, bytes: new Uint8Array([0x50, 0x4b, 0x00, 0xff]) },
  OnecExchangeExport: { sessionId: '00000000-0000-4000-8000-000000000031', orderId: '00000000-0000-4000-8000-000000000004', version: 3 },
  OnecOrderLink: {
    orderId: '00000000-0000-4000-8000-000000000004', exportedVersion: 2, exportedAt: at, number1c: 'УТ-000123', date1c: '2026-12-05 09:58:00', posted: true, deletionMark: false,
    status1c: '[N] Принят', updatedAt: at,
  },
  OrderSettlementDocument: {
    id: '00000000-0000-4000-8000-000000000034', orderId: '00000000-0000-4000-8000-000000000004', kind: 'payment', externalId: 'PAY-77', number: '77', date: '2026-12-05',
    operation: 'Выплата безналичных денег', amount: new Prisma.Decimal('1000.5'), currency: 'руб', posted: true, deleted: true, createdAt: at, updatedAt: at,
  },
  OrderComment: {
    id: '00000000-0000-4000-8000-000000000035', orderId: '00000000-0000-4000-8000-000000000004', dealerId: '00000000-0000-4000-8000-000000000018',
    authorLogin: 'd1.head', authorName: 'Ivan Petrov', visibility: 'internal', text: 'Client asks for delivery on Monday', createdAt: at,
  },
} as const;

/** The parent of the Region record (a region points at its country). */
const country = { id: '00000000-0000-4000-8000-000000000011', code: 'RU', name: 'Russia', level: 'country', path: '/RU/' };

const fieldEnums: Record<keyof typeof records, Record<string, string>> = {
  Channel: Prisma.ChannelScalarFieldEnum,
  SyncRun: Prisma.SyncRunScalarFieldEnum,
  RawPayload: Prisma.RawPayloadScalarFieldEnum,
  Order: Prisma.OrderScalarFieldEnum,
  OrderLine: Prisma.OrderLineScalarFieldEnum,
  OrderVersion: Prisma.OrderVersionScalarFieldEnum,
  OrderRefund: Prisma.OrderRefundScalarFieldEnum,
  Quote: Prisma.QuoteScalarFieldEnum,
  QuoteVersion: Prisma.QuoteVersionScalarFieldEnum,
  OutboundDocument: Prisma.OutboundDocumentScalarFieldEnum,
  InterchangeControl: Prisma.InterchangeControlScalarFieldEnum,
  ChannelStatusUpdate: Prisma.ChannelStatusUpdateScalarFieldEnum,
  Region: Prisma.RegionScalarFieldEnum,
  Product: Prisma.ProductScalarFieldEnum,
  CatalogueGroup: Prisma.CatalogueGroupScalarFieldEnum,
  CatalogueProperty: Prisma.CataloguePropertyScalarFieldEnum,
  PriceColumn: Prisma.PriceColumnScalarFieldEnum,
  Price: Prisma.PriceScalarFieldEnum,
  DealerPriceColumnRegion: Prisma.DealerPriceColumnRegionScalarFieldEnum,
  Warehouse: Prisma.WarehouseScalarFieldEnum,
  StockLevel: Prisma.StockLevelScalarFieldEnum,
  IncomingSupply: Prisma.IncomingSupplyScalarFieldEnum,
  Reservation: Prisma.ReservationScalarFieldEnum,
  StockMovement: Prisma.StockMovementScalarFieldEnum,
  StockCheck: Prisma.StockCheckScalarFieldEnum,
  ExclusivityRule: Prisma.ExclusivityRuleScalarFieldEnum,
  Dealer: Prisma.DealerScalarFieldEnum,
  DealerRegion: Prisma.DealerRegionScalarFieldEnum,
  DealerAssortment: Prisma.DealerAssortmentScalarFieldEnum,
  DealerManager: Prisma.DealerManagerScalarFieldEnum,
  Promotion: Prisma.PromotionScalarFieldEnum,
  DealerPromotion: Prisma.DealerPromotionScalarFieldEnum,
  DealerPointsChange: Prisma.DealerPointsChangeScalarFieldEnum,
  DistributionConfig: Prisma.DistributionConfigScalarFieldEnum,
  OrderDistribution: Prisma.OrderDistributionScalarFieldEnum,
  DealerOffer: Prisma.DealerOfferScalarFieldEnum,
  OrderStep: Prisma.OrderStepScalarFieldEnum,
  DistributionEvent: Prisma.DistributionEventScalarFieldEnum,
  Notification: Prisma.NotificationScalarFieldEnum,
  HubUser: Prisma.HubUserScalarFieldEnum,
  AuthSession: Prisma.AuthSessionScalarFieldEnum,
  ApiToken: Prisma.ApiTokenScalarFieldEnum,
  LoginThrottle: Prisma.LoginThrottleScalarFieldEnum,
  WorkerHeartbeat: Prisma.WorkerHeartbeatScalarFieldEnum,
  AuditEvent: Prisma.AuditEventScalarFieldEnum,
  DealerSettlement: Prisma.DealerSettlementScalarFieldEnum,
  SettlementDocument: Prisma.SettlementDocumentScalarFieldEnum,
  AccountingSync: Prisma.AccountingSyncScalarFieldEnum,
  OnecExchangeSession: Prisma.OnecExchangeSessionScalarFieldEnum,
  OnecExchangeFile: Prisma.OnecExchangeFileScalarFieldEnum,
  OnecExchangeFileChunk: Prisma.OnecExchangeFileChunkScalarFieldEnum,
  OnecExchangeExport: Prisma.OnecExchangeExportScalarFieldEnum,
  OnecOrderLink: Prisma.OnecOrderLinkScalarFieldEnum,
  OrderSettlementDocument: Prisma.OrderSettlementDocumentScalarFieldEnum,
  OrderComment: Prisma.OrderCommentScalarFieldEnum,
};

describe('schema.prisma and the migrations', () => {
  it('cover every model of the client in this test', () => {
    expect(Object.keys(records).sort()).toEqual(Object.values(Prisma.ModelName).sort());
    for (const [model, fields] of Object.entries(fieldEnums)) {
      expect(Object.keys(records[model as keyof typeof records]).sort(), model).toEqual(Object.values(fields).sort());
    }
  });

  for (const [kind, createDatabase] of DATABASE_KINDS) {
    describe(`on ${kind}`, () => {
      let t: TestDatabase;
      beforeAll(async () => {
        t = await createDatabase();
      });
      afterAll(() => t.drop());

      it('write and read back every field of every model', async () => {
        const p = t.db.prisma;
        await p.channel.create({ data: { ...records.Channel, labels: [...records.Channel.labels] } });
        await p.syncRun.create({ data: records.SyncRun });
        await p.rawPayload.create({ data: records.RawPayload });
        // Quote and order point at each other: create the quote unlinked, then link it.
        await p.quote.create({ data: { ...records.Quote, orderId: null } });
        await p.order.create({ data: { ...records.Order } });
        await p.quote.update({ where: { id: records.Quote.id }, data: { orderId: records.Quote.orderId, updatedAt: at } });
        await p.quoteVersion.create({ data: records.QuoteVersion });
        await p.outboundDocument.create({ data: records.OutboundDocument });
        await p.interchangeControl.create({ data: records.InterchangeControl });
        await p.channelStatusUpdate.create({ data: { ...records.ChannelStatusUpdate, history: [...records.ChannelStatusUpdate.history] } });
        await p.orderLine.create({ data: records.OrderLine });
        await p.orderRefund.create({ data: { ...records.OrderRefund, lines: [...records.OrderRefund.lines] } });
        await p.orderVersion.create({ data: { ...records.OrderVersion, changes: [...records.OrderVersion.changes] } });
        await p.region.create({ data: country });
        await p.region.create({ data: records.Region });
        await p.product.create({ data: { ...records.Product, groupIds: [...records.Product.groupIds], properties: [...records.Product.properties], requisites: [...records.Product.requisites] } });
        await p.catalogueGroup.create({ data: records.CatalogueGroup });
        await p.catalogueProperty.create({ data: { ...records.CatalogueProperty, choices: [...records.CatalogueProperty.choices] } });
        await p.priceColumn.create({ data: records.PriceColumn });
        await p.price.create({ data: records.Price });
        await p.warehouse.create({ data: records.Warehouse });
        await p.stockLevel.create({ data: records.StockLevel });
        await p.incomingSupply.create({ data: records.IncomingSupply });
        await p.reservation.create({ data: records.Reservation });
        await p.stockMovement.create({ data: records.StockMovement });
        await p.stockCheck.create({ data: { ...records.StockCheck, lines: [...records.StockCheck.lines] } });
        await p.exclusivityRule.create({ data: { ...records.ExclusivityRule, dealerCodes: [...records.ExclusivityRule.dealerCodes] } });
        await p.dealer.create({ data: { ...records.Dealer, productLines: [...records.Dealer.productLines] } });
        await p.dealerRegion.create({ data: records.DealerRegion });
        await p.dealerPriceColumnRegion.create({ data: records.DealerPriceColumnRegion });
        await p.dealerAssortment.create({ data: records.DealerAssortment });
        await p.dealerManager.create({ data: records.DealerManager });
        await p.promotion.create({ data: records.Promotion });
        await p.dealerPromotion.create({ data: records.DealerPromotion });
        await p.dealerPointsChange.create({ data: records.DealerPointsChange });
        await p.distributionConfig.create({ data: records.DistributionConfig });
        await p.orderDistribution.create({ data: records.OrderDistribution });
        await p.dealerOffer.create({ data: records.DealerOffer });
        await p.orderStep.create({ data: records.OrderStep });
        await p.distributionEvent.create({ data: records.DistributionEvent });
        await p.notification.create({ data: records.Notification });
        await p.hubUser.create({ data: { ...records.HubUser, roles: [...records.HubUser.roles] } });
        await p.authSession.create({ data: records.AuthSession });
        await p.apiToken.create({ data: records.ApiToken });
        await p.loginThrottle.create({ data: records.LoginThrottle });
        await p.workerHeartbeat.create({ data: records.WorkerHeartbeat });
        await p.auditEvent.create({ data: records.AuditEvent });
        await p.accountingSync.create({ data: records.AccountingSync });
        await p.dealerSettlement.create({ data: records.DealerSettlement });
        await p.settlementDocument.create({ data: records.SettlementDocument });
        await p.onecExchangeSession.create({ data: records.OnecExchangeSession });
        await p.onecExchangeFile.create({ data: records.OnecExchangeFile });
        await p.onecExchangeFileChunk.create({ data: records.OnecExchangeFileChunk });
        await p.onecExchangeExport.create({ data: records.OnecExchangeExport });
        await p.onecOrderLink.create({ data: records.OnecOrderLink });
        await p.orderSettlementDocument.create({ data: records.OrderSettlementDocument });
        await p.orderComment.create({ data: records.OrderComment });
        const back = {
          Channel: await p.channel.findUniqueOrThrow({ where: { id: records.Channel.id } }),
          SyncRun: await p.syncRun.findUniqueOrThrow({ where: { id: records.SyncRun.id } }),
          RawPayload: await p.rawPayload.findUniqueOrThrow({ where: { id: records.RawPayload.id } }),
          Order: await p.order.findUniqueOrThrow({ where: { id: records.Order.id } }),
          OrderLine: await p.orderLine.findUniqueOrThrow({ where: { id: records.OrderLine.id } }),
          OrderVersion: await p.orderVersion.findUniqueOrThrow({ where: { id: records.OrderVersion.id } }),
          OrderRefund: await p.orderRefund.findUniqueOrThrow({ where: { id: records.OrderRefund.id } }),
          Quote: await p.quote.findUniqueOrThrow({ where: { id: records.Quote.id } }),
          QuoteVersion: await p.quoteVersion.findUniqueOrThrow({ where: { id: records.QuoteVersion.id } }),
          OutboundDocument: await p.outboundDocument.findUniqueOrThrow({ where: { id: records.OutboundDocument.id } }),
          InterchangeControl: await p.interchangeControl.findUniqueOrThrow({
            where: { channelId_syntax_sender_level_controlRef: { channelId: records.InterchangeControl.channelId, syntax: 'x12', sender: 'SENDER1:ZZ', level: 'group', controlRef: '42' } },
          }),
          ChannelStatusUpdate: await p.channelStatusUpdate.findUniqueOrThrow({ where: { id: records.ChannelStatusUpdate.id } }),
          Region: await p.region.findUniqueOrThrow({ where: { id: records.Region.id } }),
          Product: await p.product.findUniqueOrThrow({ where: { id: records.Product.id } }),
          CatalogueGroup: await p.catalogueGroup.findUniqueOrThrow({ where: { id: records.CatalogueGroup.id } }),
          CatalogueProperty: await p.catalogueProperty.findUniqueOrThrow({ where: { id: records.CatalogueProperty.id } }),
          PriceColumn: await p.priceColumn.findUniqueOrThrow({ where: { id: records.PriceColumn.id } }),
          Price: await p.price.findUniqueOrThrow({ where: { id: records.Price.id } }),
          DealerPriceColumnRegion: await p.dealerPriceColumnRegion.findUniqueOrThrow({
            where: { dealerId_regionId: { dealerId: records.DealerPriceColumnRegion.dealerId, regionId: records.DealerPriceColumnRegion.regionId } },
          }),
          Warehouse: await p.warehouse.findUniqueOrThrow({ where: { id: records.Warehouse.id } }),
          StockLevel: await p.stockLevel.findUniqueOrThrow({
            where: { productId_warehouseId: { productId: records.StockLevel.productId, warehouseId: records.StockLevel.warehouseId } },
          }),
          IncomingSupply: await p.incomingSupply.findUniqueOrThrow({ where: { id: records.IncomingSupply.id } }),
          Reservation: await p.reservation.findUniqueOrThrow({ where: { id: records.Reservation.id } }),
          StockMovement: await p.stockMovement.findUniqueOrThrow({ where: { id: records.StockMovement.id } }),
          StockCheck: await p.stockCheck.findUniqueOrThrow({ where: { id: records.StockCheck.id } }),
          ExclusivityRule: await p.exclusivityRule.findUniqueOrThrow({ where: { id: records.ExclusivityRule.id } }),
          Dealer: await p.dealer.findUniqueOrThrow({ where: { id: records.Dealer.id } }),
          DealerRegion: await p.dealerRegion.findUniqueOrThrow({
            where: { dealerId_regionId: { dealerId: records.DealerRegion.dealerId, regionId: records.DealerRegion.regionId } },
          }),
          DealerAssortment: await p.dealerAssortment.findUniqueOrThrow({
            where: { dealerId_productId: { dealerId: records.DealerAssortment.dealerId, productId: records.DealerAssortment.productId } },
          }),
          DealerManager: await p.dealerManager.findUniqueOrThrow({ where: { id: records.DealerManager.id } }),
          Promotion: await p.promotion.findUniqueOrThrow({ where: { id: records.Promotion.id } }),
          DealerPromotion: await p.dealerPromotion.findUniqueOrThrow({
            where: { dealerId_promotionId: { dealerId: records.DealerPromotion.dealerId, promotionId: records.DealerPromotion.promotionId } },
          }),
          DealerPointsChange: await p.dealerPointsChange.findUniqueOrThrow({ where: { id: records.DealerPointsChange.id } }),
          DistributionConfig: await p.distributionConfig.findUniqueOrThrow({ where: { id: records.DistributionConfig.id } }),
          OrderDistribution: await p.orderDistribution.findUniqueOrThrow({ where: { orderId: records.OrderDistribution.orderId } }),
          DealerOffer: await p.dealerOffer.findUniqueOrThrow({ where: { id: records.DealerOffer.id } }),
          OrderStep: await p.orderStep.findUniqueOrThrow({ where: { id: records.OrderStep.id } }),
          DistributionEvent: await p.distributionEvent.findUniqueOrThrow({ where: { id: records.DistributionEvent.id } }),
          Notification: await p.notification.findUniqueOrThrow({ where: { id: records.Notification.id } }),
          HubUser: await p.hubUser.findUniqueOrThrow({ where: { id: records.HubUser.id } }),
          AuthSession: await p.authSession.findUniqueOrThrow({ where: { id: records.AuthSession.id } }),
          ApiToken: await p.apiToken.findUniqueOrThrow({ where: { id: records.ApiToken.id } }),
          LoginThrottle: await p.loginThrottle.findUniqueOrThrow({ where: { key: records.LoginThrottle.key } }),
          WorkerHeartbeat: await p.workerHeartbeat.findUniqueOrThrow({ where: { id: records.WorkerHeartbeat.id } }),
          AuditEvent: await p.auditEvent.findUniqueOrThrow({ where: { id: records.AuditEvent.id } }),
          DealerSettlement: await p.dealerSettlement.findUniqueOrThrow({ where: { id: records.DealerSettlement.id } }),
          SettlementDocument: await p.settlementDocument.findUniqueOrThrow({ where: { id: records.SettlementDocument.id } }),
          AccountingSync: await p.accountingSync.findUniqueOrThrow({ where: { id: records.AccountingSync.id } }),
          OnecExchangeSession: await p.onecExchangeSession.findUniqueOrThrow({ where: { id: records.OnecExchangeSession.id } }),
          OnecExchangeFile: await p.onecExchangeFile.findUniqueOrThrow({ where: { id: records.OnecExchangeFile.id } }),
          OnecExchangeFileChunk: await p.onecExchangeFileChunk.findUniqueOrThrow({ where: { fileId_seq: { fileId: records.OnecExchangeFileChunk.fileId, seq: records.OnecExchangeFileChunk.seq } } }),
          OnecExchangeExport: await p.onecExchangeExport.findUniqueOrThrow({ where: { sessionId_orderId: { sessionId: records.OnecExchangeExport.sessionId, orderId: records.OnecExchangeExport.orderId } } }),
          OnecOrderLink: await p.onecOrderLink.findUniqueOrThrow({ where: { orderId: records.OnecOrderLink.orderId } }),
          OrderSettlementDocument: await p.orderSettlementDocument.findUniqueOrThrow({ where: { id: records.OrderSettlementDocument.id } }),
          OrderComment: await p.orderComment.findUniqueOrThrow({ where: { id: records.OrderComment.id } }),
        };
        for (const model of Object.keys(records) as (keyof typeof records)[]) {
          for (const [field, written] of Object.entries(records[model])) {
            const read = (back[model] as Record<string, unknown>)[field];
            // updatedAt is stamped by the client on write, so only its presence is checked.
            if (field === 'updatedAt') expect(read, `${model}.${field}`).toBeInstanceOf(Date);
            else expect(normalise(read), `${model}.${field}`).toEqual(normalise(written));
          }
        }
      });
    });
  }
});

function normalise(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Prisma.Decimal.isDecimal(value)) return (value as Prisma.Decimal).toString();
  return value;
}
