import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type { Database } from '../db/database.ts';
import type { Prisma } from '../db/generated/client.ts';
import { HubError } from '../errors.ts';
import { datesProblem } from '../exclusivity/exclusivity-rules.ts';
import { assertValid } from '../model/validate.ts';
import { changePoints } from './dealer-points.ts';
import {
  AssortmentInputSchema,
  DealerChangesSchema,
  DealerInputSchema,
  DealerListFilterSchema,
  DealerLoadSchema,
  ManagerChangesSchema,
  ManagerInputSchema,
  PointsAdjustmentSchema,
  PointsHistoryQuerySchema,
  PromotionInputSchema,
  type DealerChanges,
  type DealerContacts,
  type DealerListFilter,
  type ManagerChanges,
} from './dealer-schemas.ts';

/**
 * Dealers of the network: their profile and regions (CRUD and idempotent bulk loads by code, as 1C
 * will send them), assortment, managers, promotions and points.
 *
 * Invariants:
 * - a dealer has exactly one main region (written only here, always together with its extra
 *   regions; the partial unique index dealer_region_one_main is the last guard);
 * - a dealer has at most one head manager: appointing one demotes the previous head in the same
 *   transaction, under the dealer row's lock (index dealer_manager_one_head as the last guard);
 * - points change only through changePoints (dealer-points.ts), so they always equal the ledger.
 *
 * Profile writes (create, update, load) are serialised by one advisory lock: they read the stored
 * dealers to tell created from updated from unchanged, and replace region rows, which two
 * concurrent writers of the same dealer must not interleave.
 */

type Tx = Prisma.TransactionClient;

export type { DealerContacts } from './dealer-schemas.ts';

export interface DealerRegionView {
  code: string;
  name: string;
  path: string;
}

export interface ManagerView {
  login: string;
  name: string;
  email: string | null;
  phone: string | null;
  isHead: boolean;
  active: boolean;
  /** Has a password to sign in to the dealer's cabinet (and is not disabled). */
  canSignIn: boolean;
}

export interface DealerView {
  id: string;
  code: string;
  name: string;
  logoUrl: string | null;
  mainRegion: DealerRegionView;
  /** Tree order. */
  extraRegions: DealerRegionView[];
  authorised: boolean;
  acceptsSiteOrders: boolean;
  callFromSite: boolean;
  active: boolean;
  contacts: DealerContacts;
  description: string | null;
  wholeRange: boolean;
  productLines: string[];
  ownPricesAllowed: boolean;
  priceColumn: string | null;
  points: number;
  takesCount: number;
  /** take_seconds_total / takes_count; null before the first take. */
  avgTakeSeconds: number | null;
  /** The head first, then by login. */
  managers: ManagerView[];
  /** The head manager's login. */
  head: string | null;
  /** Codes of the promotions the dealer joined. */
  promotions: string[];
  /** Products in the dealer's assortment. */
  assortmentCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface DealerSummary {
  code: string;
  name: string;
  /** Code of the main region. */
  mainRegion: string;
  authorised: boolean;
  acceptsSiteOrders: boolean;
  callFromSite: boolean;
  active: boolean;
  points: number;
  /** Orders distributed to the dealer (order_distribution rows naming it). */
  orders: number;
  createdAt: string;
}

export interface DealerList {
  dealers: DealerSummary[];
  /** Dealers matching the filter, whatever the limit and offset. */
  total: number;
}

export interface DealerLoadSummary {
  received: number;
  created: number;
  /** Dealers of the load whose profile or regions changed. */
  updated: number;
  /** Dealers of the load left exactly as they were. */
  unchanged: number;
}

export interface AssortmentSummary {
  /** Products now in the assortment. */
  items: number;
  wholeRange: boolean;
  productLines: string[];
}

export interface AssortmentItemView {
  sku: string;
  name: string;
  productLine: string | null;
  /** Decimal string; null: the dealer sells at the manufacturer's price. */
  ownPrice: string | null;
}

export interface AssortmentView {
  /** By SKU. */
  items: AssortmentItemView[];
  wholeRange: boolean;
  productLines: string[];
}

export interface PromotionView {
  code: string;
  name: string;
  description: string | null;
  /** YYYY-MM-DD, inclusive; null is open. */
  validFrom: string | null;
  validTo: string | null;
  /** Dealers that joined. */
  dealers: number;
  createdAt: string;
}

export interface PointsChangeView {
  /** The ledger id (a bigint, as a string); pass the oldest one as beforeId for the next page. */
  id: string;
  delta: number;
  /** The dealer's points after this change. */
  balance: number;
  cause: string;
  orderId: string | null;
  note: string | null;
  changedBy: string | null;
  createdAt: string;
}

/** Serialises dealer profile writes (see the invariants above). */
const DEALER_WRITE_LOCK = 7_100_501;
const TX_OPTIONS = { timeout: 120_000, maxWait: 60_000 } as const;

/** The profile fields a dealer's row holds, as the views and the writes name them. */
type DealerProfile = Pick<
  DealerView,
  'name' | 'logoUrl' | 'authorised' | 'acceptsSiteOrders' | 'callFromSite' | 'active' | 'contacts' | 'description' | 'wholeRange' | 'productLines' | 'ownPricesAllowed' | 'priceColumn'
>;

/** A dealer's profile and regions as stored, or as a write leaves it. */
interface DealerState extends DealerProfile {
  mainRegionId: string;
  /** Sorted, without the main region. */
  extraRegionIds: string[];
}

const NEW_DEALER: Omit<DealerState, 'name' | 'mainRegionId' | 'extraRegionIds'> = {
  logoUrl: null,
  authorised: false,
  acceptsSiteOrders: true,
  callFromSite: false,
  active: true,
  contacts: {},
  description: null,
  wholeRange: false,
  productLines: [],
  ownPricesAllowed: false,
  priceColumn: null,
};

/** A write of one dealer: the code and the fields it sets (absent = kept, or the default for a new dealer). */
type DealerPatch = DealerChanges & { code: string };
type WriteMode = 'create' | 'update' | 'upsert';

/** The profile columns every read of a dealer has. */
interface DealerColumns {
  id: string;
  code: string;
  name: string;
  logo_url: string | null;
  authorised: boolean;
  accepts_site_orders: boolean;
  call_from_site: boolean;
  active: boolean;
  contacts: DealerContacts;
  description: string | null;
  whole_range: boolean;
  product_lines: string[];
  own_prices_allowed: boolean;
  price_column: string | null;
}

interface StoredDealerRow extends DealerColumns {
  main_region_id: string | null;
  extra_region_ids: string[];
}

interface DealerViewRow extends DealerColumns {
  points: number;
  takes_count: number;
  take_seconds_total: string;
  created_at: Date | string;
  updated_at: Date | string;
  regions: (DealerRegionView & { main: boolean })[];
  managers: ManagerView[];
  promotions: string[];
  assortment_count: number;
}

interface ManagerRow {
  login: string;
  name: string;
  email: string | null;
  phone: string | null;
  is_head: boolean;
  active: boolean;
  can_sign_in: boolean;
}

/** A manager signs in when it has a user with a password that is not disabled (core/identity). */
const CAN_SIGN_IN = (manager: string) =>
  `EXISTS (SELECT 1 FROM hub_user u WHERE u.dealer_manager_id = ${manager}.id AND u.password_hash IS NOT NULL AND u.disabled_at IS NULL)`;
const MANAGER_COLUMNS = `login, name, email, phone, is_head, active, ${CAN_SIGN_IN('dealer_manager')} AS can_sign_in`;

export class DealerService {
  constructor(private readonly db: Database) {}

  // ---- dealers ------------------------------------------------------------------------------------------------------

  /** A new dealer; conflict when the code is taken, invalid_data naming unknown region codes. */
  async create(input: unknown): Promise<DealerView> {
    const dealer = assertValid(DealerInputSchema, input, 'dealer');
    await this.writeDealers([dealer], 'create', (_, field) => field);
    return this.get(dealer.code);
  }

  /**
   * Changes the fields given. mainRegion replaces the main region (the old one is dropped, not kept
   * as an extra one); extraRegions replaces the extra regions. Null clears an optional text.
   */
  async update(code: string, changes: unknown): Promise<DealerView> {
    const valid = assertValid(DealerChangesSchema, changes, 'dealer changes');
    await this.writeDealers([{ ...valid, code }], 'update', (_, field) => field);
    return this.get(code);
  }

  async get(code: string): Promise<DealerView> {
    const [row] = await this.db.query<DealerViewRow>(
      `SELECT d.id, d.code, d.name, d.logo_url, d.authorised, d.accepts_site_orders, d.call_from_site, d.active, d.contacts, d.description,
              d.whole_range, coalesce(d.product_lines, '{}') AS product_lines, d.own_prices_allowed, d.price_column, d.points, d.takes_count,
              d.take_seconds_total::text AS take_seconds_total, d.created_at, d.updated_at,
              (SELECT coalesce(json_agg(json_build_object('code', r.code, 'name', r.name, 'path', r.path, 'main', dr.is_main)
                                        ORDER BY dr.is_main DESC, r.path COLLATE "C"), '[]'::json)
                 FROM dealer_region dr JOIN region r ON r.id = dr.region_id WHERE dr.dealer_id = d.id) AS regions,
              (SELECT coalesce(json_agg(json_build_object('login', m.login, 'name', m.name, 'email', m.email, 'phone', m.phone,
                                                          'isHead', m.is_head, 'active', m.active, 'canSignIn', ${CAN_SIGN_IN('m')})
                                        ORDER BY m.is_head DESC, m.login COLLATE "C"), '[]'::json)
                 FROM dealer_manager m WHERE m.dealer_id = d.id) AS managers,
              ARRAY(SELECT p.code FROM dealer_promotion dp JOIN promotion p ON p.id = dp.promotion_id
                     WHERE dp.dealer_id = d.id ORDER BY p.code COLLATE "C") AS promotions,
              (SELECT count(*)::int FROM dealer_assortment a WHERE a.dealer_id = d.id) AS assortment_count
         FROM dealer d WHERE d.code = $1`,
      [code],
    );
    if (!row) throw new HubError('not_found', `Dealer ${code} does not exist.`);
    return toDealerView(row);
  }

  /**
   * Dealers by code. The region filter is hierarchy-aware both ways: a dealer matches when one of
   * its regions is the region, lies inside it (a city of it) or contains it (the country around it),
   * i.e. every dealer that may serve an order from there. Two queries whatever the page size.
   */
  async list(filter: DealerListFilter = {}): Promise<DealerList> {
    const valid = assertValid(DealerListFilterSchema, filter, 'dealer filter');
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (valid.region !== undefined) {
      const [region] = await this.db.query<{ path: string }>(`SELECT path FROM region WHERE code = $1`, [valid.region]);
      if (!region) throw new HubError('invalid_data', `dealer filter: region: region ${valid.region} does not exist.`, { field: 'region' });
      add(
        (n) => `EXISTS (SELECT 1 FROM dealer_region dr JOIN region r ON r.id = dr.region_id
                         WHERE dr.dealer_id = d.id AND (starts_with(r.path, ${n}) OR starts_with(${n}, r.path)))`,
        region.path,
      );
    }
    if (valid.q !== undefined) add((n) => `(d.name ILIKE ${n} ESCAPE '\\' OR d.code ILIKE ${n} ESCAPE '\\')`, `%${valid.q.replace(/[\\%_]/g, '\\$&')}%`);
    if (valid.active !== undefined) add((n) => `d.active = ${n}`, valid.active);
    if (valid.authorised !== undefined) add((n) => `d.authorised = ${n}`, valid.authorised);
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';

    const [counted] = await this.db.query<{ total: number }>(`SELECT count(*)::int AS total FROM dealer d ${whereSql}`, params);
    const rows = await this.db.query<{
      code: string; name: string; main_region: string | null; authorised: boolean; accepts_site_orders: boolean; call_from_site: boolean;
      active: boolean; points: number; orders: number; created_at: Date | string;
    }>(
      `SELECT d.code, d.name, mr.code AS main_region, d.authorised, d.accepts_site_orders, d.call_from_site, d.active, d.points,
              (SELECT count(*)::int FROM order_distribution o WHERE o.dealer_id = d.id) AS orders, d.created_at
         FROM dealer d
         LEFT JOIN dealer_region mdr ON mdr.dealer_id = d.id AND mdr.is_main
         LEFT JOIN region mr ON mr.id = mdr.region_id
         ${whereSql}
        ORDER BY d.code COLLATE "C"
        LIMIT ${valid.limit ?? 100} OFFSET ${valid.offset ?? 0}`,
      params,
    );
    return {
      total: counted?.total ?? 0,
      dealers: rows.map((r) => ({
        code: r.code,
        name: r.name,
        mainRegion: mainRegionOf(r.code, r.main_region),
        authorised: r.authorised,
        acceptsSiteOrders: r.accepts_site_orders,
        callFromSite: r.call_from_site,
        active: r.active,
        points: r.points,
        orders: r.orders,
        createdAt: iso(r.created_at),
      })),
    };
  }

  /**
   * Deletes a dealer that never took part in distribution. One with orders or offers keeps its
   * history: block it with active = false instead.
   */
  async remove(code: string): Promise<void> {
    await this.db.prisma.$transaction(async (tx) => {
      // The row lock keeps new offers and distributions (whose foreign keys share-lock the dealer) out until we are done.
      const [dealer] = await tx.$queryRawUnsafe<{ id: string }[]>(`SELECT id FROM dealer WHERE code = $1 FOR UPDATE`, code);
      if (!dealer) throw new HubError('not_found', `Dealer ${code} does not exist.`);
      const [history] = await tx.$queryRawUnsafe<{ distributions: number; offers: number }[]>(
        `SELECT (SELECT count(*)::int FROM order_distribution WHERE dealer_id = $1 OR quota_dealer_id = $1) AS distributions,
                (SELECT count(*)::int FROM dealer_offer WHERE dealer_id = $1) AS offers`,
        dealer.id,
      );
      if (history && (history.distributions > 0 || history.offers > 0)) {
        throw new HubError(
          'conflict',
          `Dealer ${code} has ${history.distributions} order distribution(s) and ${history.offers} offer(s); it cannot be deleted. Set active = false to block it instead.`,
        );
      }
      await tx.$executeRawUnsafe(`DELETE FROM dealer WHERE id = $1`, dealer.id);
    }, TX_OPTIONS);
  }

  /**
   * Loads dealers idempotently by code, in one transaction (as 1C sends them): a new code makes a
   * dealer, a known one is updated when something differs, and loading the same dealers again
   * changes nothing. A field a load leaves out keeps its stored value (the default for a new
   * dealer), so settings kept in the hub survive a load that does not carry them; extraRegions,
   * when given, replace the extra regions. Dealers absent from the load are left alone.
   */
  async load(input: unknown): Promise<DealerLoadSummary> {
    const dealers = assertValid(DealerLoadSchema, input, 'dealers');
    const seen = new Set<string>();
    dealers.forEach((dealer, index) => {
      if (seen.has(dealer.code)) throw new HubError('invalid_data', `dealers: ${index}.code: ${dealer.code} appears twice in the load.`, { field: `${index}.code` });
      seen.add(dealer.code);
    });
    if (dealers.length === 0) return { received: 0, created: 0, updated: 0, unchanged: 0 };
    const counts = await this.writeDealers(dealers, 'upsert', (index, field) => `${index}.${field}`);
    return { received: dealers.length, ...counts };
  }

  // ---- assortment ---------------------------------------------------------------------------------------------------

  /**
   * Replaces the dealer's assortment with the items given (and its wholeRange / productLines when
   * given). Every SKU must be in the catalogue; own prices only for a dealer allowed them. Items
   * whose price did not change keep their updated_at.
   */
  async setAssortment(code: string, input: unknown): Promise<AssortmentSummary> {
    const assortment = assertValid(AssortmentInputSchema, input, 'assortment');
    const skus = assortment.items.map((i) => i.sku);
    const seen = new Set<string>();
    const duplicates = uniq(
      skus.filter((sku) => {
        if (seen.has(sku)) return true;
        seen.add(sku);
        return false;
      }),
    );
    if (duplicates.length > 0) throw new HubError('invalid_data', `assortment: items: ${listed(duplicates)} appear(s) more than once.`, { field: 'items' });
    const negative = assortment.items.filter((i) => i.ownPrice?.startsWith('-')).map((i) => i.sku);
    if (negative.length > 0) throw new HubError('invalid_data', `assortment: items: negative own price for ${listed(negative)}.`, { field: 'items' });

    const products = await this.db.query<{ id: string; sku: string }>(`SELECT id, sku FROM product WHERE sku = ANY($1::text[])`, [skus]);
    const productIds = new Map(products.map((p) => [p.sku, p.id]));
    const unknown = skus.filter((sku) => !productIds.has(sku));
    if (unknown.length > 0) throw new HubError('invalid_data', `assortment: items: unknown SKU(s) ${listed(unknown)}.`, { field: 'items', details: { unknownSkus: unknown } });

    return this.db.prisma.$transaction(async (tx) => {
      const dealer = await lockDealer(tx, code);
      const priced = assortment.items.filter((i) => i.ownPrice !== undefined && i.ownPrice !== null).map((i) => i.sku);
      if (priced.length > 0 && !dealer.own_prices_allowed) {
        throw new HubError('invalid_data', `assortment: items: dealer ${code} may not set its own prices (ownPricesAllowed is false), yet ${listed(priced)} carry one.`, {
          field: 'items',
        });
      }
      const rows = assortment.items.map((i) => ({ product_id: productIds.get(i.sku)!, own_price: i.ownPrice ?? null }));
      await tx.$executeRawUnsafe(`DELETE FROM dealer_assortment WHERE dealer_id = $1 AND NOT (product_id = ANY($2::text[]))`, dealer.id, rows.map((r) => r.product_id));
      if (rows.length > 0) {
        await tx.$executeRawUnsafe(
          `INSERT INTO dealer_assortment AS a (dealer_id, product_id, own_price)
           SELECT $1, x.product_id, x.own_price FROM jsonb_to_recordset($2::jsonb) AS x(product_id text, own_price numeric)
           ON CONFLICT (dealer_id, product_id) DO UPDATE SET own_price = EXCLUDED.own_price, updated_at = now()
           WHERE a.own_price IS DISTINCT FROM EXCLUDED.own_price`,
          dealer.id,
          JSON.stringify(rows),
        );
      }
      const wholeRange = assortment.wholeRange ?? dealer.whole_range;
      const productLines = assortment.productLines ? uniq(assortment.productLines) : dealer.product_lines;
      if (wholeRange !== dealer.whole_range || !sameList(productLines, dealer.product_lines)) {
        await tx.$executeRawUnsafe(`UPDATE dealer SET whole_range = $2, product_lines = $3::text[], updated_at = now() WHERE id = $1`, dealer.id, wholeRange, productLines);
      }
      return { items: rows.length, wholeRange, productLines };
    }, TX_OPTIONS);
  }

  async getAssortment(code: string): Promise<AssortmentView> {
    const dealer = await this.dealerRow(code);
    const rows = await this.db.query<{ sku: string; name: string; product_line: string | null; own_price: string | null }>(
      `SELECT p.sku, p.name, p.product_line, a.own_price::text AS own_price
         FROM dealer_assortment a JOIN product p ON p.id = a.product_id
        WHERE a.dealer_id = $1 ORDER BY p.sku COLLATE "C"`,
      [dealer.id],
    );
    return {
      items: rows.map((r) => ({ sku: r.sku, name: r.name, productLine: r.product_line, ownPrice: r.own_price === null ? null : new Decimal(r.own_price).toString() })),
      wholeRange: dealer.whole_range,
      productLines: dealer.product_lines,
    };
  }

  // ---- managers -----------------------------------------------------------------------------------------------------

  /** A login is unique across every dealer (conflict otherwise); isHead moves the head role here. */
  async addManager(code: string, input: unknown): Promise<ManagerView> {
    const manager = assertValid(ManagerInputSchema, input, 'manager');
    return this.db.prisma.$transaction(async (tx) => {
      const dealer = await lockDealer(tx, code);
      if (manager.isHead) await tx.$executeRawUnsafe(`UPDATE dealer_manager SET is_head = false WHERE dealer_id = $1 AND is_head`, dealer.id);
      const [row] = await tx.$queryRawUnsafe<ManagerRow[]>(
        `INSERT INTO dealer_manager (id, dealer_id, login, name, email, phone, is_head) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (login) DO NOTHING RETURNING ${MANAGER_COLUMNS}`,
        randomUUID(),
        dealer.id,
        manager.login,
        manager.name,
        manager.email ?? null,
        manager.phone ?? null,
        manager.isHead ?? false,
      );
      if (!row) throw new HubError('conflict', `Login ${manager.login} is already in use.`, { field: 'login' });
      return toManagerView(row);
    }, TX_OPTIONS);
  }

  /**
   * Changes a manager. isHead true moves the head role here; false leaves the dealer without a
   * head. A blocked manager (active false) cannot be the head: blocking the head drops the role.
   */
  async updateManager(code: string, login: string, changes: unknown): Promise<ManagerView> {
    const valid = assertValid(ManagerChangesSchema, changes, 'manager changes');
    return this.db.prisma.$transaction((tx) => this.changeManager(tx, code, login, valid), TX_OPTIONS);
  }

  async removeManager(code: string, login: string): Promise<void> {
    const dealer = await this.dealerRow(code);
    const rows = await this.db.query(`DELETE FROM dealer_manager WHERE dealer_id = $1 AND login = $2 RETURNING id`, [dealer.id, login]);
    if (rows.length === 0) throw new HubError('not_found', `Dealer ${code} has no manager ${login}.`);
  }

  /** The head first, then by login. */
  async listManagers(code: string): Promise<ManagerView[]> {
    const dealer = await this.dealerRow(code);
    const rows = await this.db.query<ManagerRow>(
      `SELECT ${MANAGER_COLUMNS} FROM dealer_manager WHERE dealer_id = $1 ORDER BY is_head DESC, login COLLATE "C"`,
      [dealer.id],
    );
    return rows.map(toManagerView);
  }

  /** Makes the manager the dealer's head; the previous head stays a manager. */
  async appointHead(code: string, login: string): Promise<ManagerView> {
    return this.db.prisma.$transaction((tx) => this.changeManager(tx, code, login, { isHead: true }), TX_OPTIONS);
  }

  // ---- promotions ---------------------------------------------------------------------------------------------------

  async createPromotion(input: unknown): Promise<PromotionView> {
    const promotion = assertValid(PromotionInputSchema, input, 'promotion');
    const problem = datesProblem(promotion);
    if (problem) throw new HubError('invalid_data', `promotion: ${problem}.`, { field: problem.split(':')[0]! });
    const [row] = await this.db.query<PromotionRow>(
      `INSERT INTO promotion (id, code, name, description, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5::date, $6::date)
       ON CONFLICT (code) DO NOTHING
       RETURNING code, name, description, to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to, 0 AS dealers, created_at`,
      [randomUUID(), promotion.code, promotion.name, promotion.description ?? null, promotion.validFrom ?? null, promotion.validTo ?? null],
    );
    if (!row) throw new HubError('conflict', `Promotion ${promotion.code} already exists.`, { field: 'code' });
    return toPromotionView(row);
  }

  /** By code, with how many dealers joined each. */
  async listPromotions(): Promise<PromotionView[]> {
    const rows = await this.db.query<PromotionRow>(
      `SELECT p.code, p.name, p.description, to_char(p.valid_from, 'YYYY-MM-DD') AS valid_from, to_char(p.valid_to, 'YYYY-MM-DD') AS valid_to,
              (SELECT count(*)::int FROM dealer_promotion dp WHERE dp.promotion_id = p.id) AS dealers, p.created_at
         FROM promotion p ORDER BY p.code COLLATE "C"`,
    );
    return rows.map(toPromotionView);
  }

  /** Idempotent: changed is false when the dealer had already joined. */
  async joinPromotion(code: string, promotionCode: string): Promise<{ changed: boolean }> {
    const { dealerId, promotionId } = await this.dealerAndPromotion(code, promotionCode);
    const rows = await this.db.query(
      `INSERT INTO dealer_promotion (dealer_id, promotion_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING dealer_id`,
      [dealerId, promotionId],
    );
    return { changed: rows.length > 0 };
  }

  /** Idempotent: changed is false when the dealer was not in the promotion. */
  async leavePromotion(code: string, promotionCode: string): Promise<{ changed: boolean }> {
    const { dealerId, promotionId } = await this.dealerAndPromotion(code, promotionCode);
    const rows = await this.db.query(`DELETE FROM dealer_promotion WHERE dealer_id = $1 AND promotion_id = $2 RETURNING dealer_id`, [dealerId, promotionId]);
    return { changed: rows.length > 0 };
  }

  // ---- points -------------------------------------------------------------------------------------------------------

  /** The dealer's points changes, newest first; page with beforeId = the last id of the previous page. */
  async pointsHistory(code: string, query: { limit?: number | undefined; beforeId?: string | undefined } = {}): Promise<PointsChangeView[]> {
    const valid = assertValid(PointsHistoryQuerySchema, query, 'points history');
    const dealer = await this.dealerRow(code);
    const rows = await this.db.query<{
      id: string; delta: number; balance: number; cause: string; order_id: string | null; note: string | null; changed_by: string | null; created_at: Date | string;
    }>(
      `SELECT id::text AS id, delta, balance, cause, order_id, note, changed_by, created_at
         FROM dealer_points_change
        WHERE dealer_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
        ORDER BY id DESC LIMIT ${valid.limit ?? 100}`,
      [dealer.id, valid.beforeId ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      delta: r.delta,
      balance: r.balance,
      cause: r.cause,
      orderId: r.order_id,
      note: r.note,
      changedBy: r.changed_by,
      createdAt: iso(r.created_at),
    }));
  }

  /** A manager's manual change of the dealer's points (cause 'manual'), with the reason. */
  async adjustPoints(code: string, input: unknown, changedBy: string): Promise<{ balance: number }> {
    const adjustment = assertValid(PointsAdjustmentSchema, input, 'points adjustment');
    return this.db.prisma.$transaction(async (tx) => {
      const [dealer] = await tx.$queryRawUnsafe<{ id: string }[]>(`SELECT id FROM dealer WHERE code = $1`, code);
      if (!dealer) throw new HubError('not_found', `Dealer ${code} does not exist.`);
      const { balance } = await changePoints(tx, { dealerId: dealer.id, delta: adjustment.delta, cause: 'manual', note: adjustment.note, changedBy });
      return { balance };
    }, TX_OPTIONS);
  }

  // ---- internals ----------------------------------------------------------------------------------------------------

  /**
   * Writes dealers' profiles and regions in one transaction: create refuses a known code, update an
   * unknown one, upsert does either. One region query, then at most seven statements in the
   * transaction, whatever the number of dealers.
   */
  private async writeDealers(
    patches: DealerPatch[],
    mode: WriteMode,
    fieldOf: (index: number, field: string) => string,
  ): Promise<{ created: number; updated: number; unchanged: number }> {
    const regionCodes = uniq(patches.flatMap((p) => [...(p.mainRegion ? [p.mainRegion] : []), ...(p.extraRegions ?? [])]));
    const regionRows = regionCodes.length
      ? await this.db.query<{ id: string; code: string }>(`SELECT id, code FROM region WHERE code = ANY($1::text[])`, [regionCodes])
      : [];
    const regionIds = new Map(regionRows.map((r) => [r.code, r.id]));
    patches.forEach((patch, index) => {
      if (patch.mainRegion !== undefined && !regionIds.has(patch.mainRegion)) {
        throw new HubError('invalid_data', `dealer ${patch.code}: mainRegion: region ${patch.mainRegion} does not exist.`, { field: fieldOf(index, 'mainRegion') });
      }
      const unknown = uniq((patch.extraRegions ?? []).filter((c) => !regionIds.has(c)));
      if (unknown.length > 0) {
        throw new HubError('invalid_data', `dealer ${patch.code}: extraRegions: region(s) ${listed(unknown)} do not exist.`, { field: fieldOf(index, 'extraRegions') });
      }
    });

    return this.db.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${DEALER_WRITE_LOCK})`);
      const storedRows = await tx.$queryRawUnsafe<StoredDealerRow[]>(
        `SELECT d.id, d.code, d.name, d.logo_url, d.authorised, d.accepts_site_orders, d.call_from_site, d.active, d.contacts, d.description,
                d.whole_range, coalesce(d.product_lines, '{}') AS product_lines, d.own_prices_allowed, d.price_column,
                (SELECT dr.region_id FROM dealer_region dr WHERE dr.dealer_id = d.id AND dr.is_main) AS main_region_id,
                ARRAY(SELECT dr.region_id FROM dealer_region dr WHERE dr.dealer_id = d.id AND NOT dr.is_main ORDER BY dr.region_id) AS extra_region_ids
           FROM dealer d WHERE d.code = ANY($1::text[]) ORDER BY d.code FOR UPDATE OF d`,
        patches.map((p) => p.code),
      );
      const stored = new Map(storedRows.map((r) => [r.code, r]));

      const inserts: Record<string, unknown>[] = [];
      const updates: Record<string, unknown>[] = [];
      const regionRewrites: string[] = [];
      const regionRows: { dealer_id: string; region_id: string; is_main: boolean }[] = [];
      let unchanged = 0;
      patches.forEach((patch, index) => {
        const before = stored.get(patch.code);
        if (mode === 'create' && before) throw new HubError('conflict', `Dealer ${patch.code} already exists.`, { field: fieldOf(index, 'code') });
        if (mode === 'update' && !before) throw new HubError('not_found', `Dealer ${patch.code} does not exist.`);
        const current = before ? stateOf(before) : undefined;
        if (!current && (patch.name === undefined || patch.mainRegion === undefined)) {
          // The input schema requires both for a new dealer; only a changes-shaped patch can lack them, and it never creates.
          throw new HubError('invalid_data', `dealer ${patch.code}: name and mainRegion are required for a new dealer.`, { field: fieldOf(index, 'mainRegion') });
        }
        const next = merge(current, patch, regionIds);
        const id = before?.id ?? randomUUID();
        const profileChanged = !current || !sameProfile(current, next);
        const regionsChanged = !current || current.mainRegionId !== next.mainRegionId || !sameList(current.extraRegionIds, next.extraRegionIds);
        if (!profileChanged && !regionsChanged) {
          unchanged += 1;
          return;
        }
        if (profileChanged) (current ? updates : inserts).push({ id, code: patch.code, ...profileColumns(next) });
        if (regionsChanged) {
          if (current) regionRewrites.push(id);
          regionRows.push({ dealer_id: id, region_id: next.mainRegionId, is_main: true });
          for (const regionId of next.extraRegionIds) regionRows.push({ dealer_id: id, region_id: regionId, is_main: false });
        }
      });

      const recordset = `jsonb_to_recordset($1::jsonb) AS x(id text, code text, name text, logo_url text, authorised boolean, accepts_site_orders boolean,
        call_from_site boolean, active boolean, contacts jsonb, description text, whole_range boolean, product_lines text[], own_prices_allowed boolean,
        price_column text)`;
      if (inserts.length > 0) {
        await tx.$executeRawUnsafe(
          `INSERT INTO dealer (id, code, name, logo_url, authorised, accepts_site_orders, call_from_site, active, contacts, description, whole_range,
                               product_lines, own_prices_allowed, price_column)
           SELECT x.id, x.code, x.name, x.logo_url, x.authorised, x.accepts_site_orders, x.call_from_site, x.active, x.contacts, x.description,
                  x.whole_range, x.product_lines, x.own_prices_allowed, x.price_column
             FROM ${recordset}`,
          JSON.stringify(inserts),
        );
      }
      if (updates.length > 0) {
        await tx.$executeRawUnsafe(
          `UPDATE dealer AS d SET name = x.name, logo_url = x.logo_url, authorised = x.authorised, accepts_site_orders = x.accepts_site_orders,
                  call_from_site = x.call_from_site, active = x.active, contacts = x.contacts, description = x.description, whole_range = x.whole_range,
                  product_lines = x.product_lines, own_prices_allowed = x.own_prices_allowed, price_column = x.price_column, updated_at = now()
             FROM ${recordset}
            WHERE d.id = x.id`,
          JSON.stringify(updates),
        );
      }
      if (regionRewrites.length > 0) {
        await tx.$executeRawUnsafe(`DELETE FROM dealer_region WHERE dealer_id = ANY($1::text[])`, regionRewrites);
        // A dealer whose only change is its regions was still changed.
        await tx.$executeRawUnsafe(`UPDATE dealer SET updated_at = now() WHERE id = ANY($1::text[])`, regionRewrites);
      }
      if (regionRows.length > 0) {
        await tx.$executeRawUnsafe(
          `INSERT INTO dealer_region (dealer_id, region_id, is_main)
           SELECT x.dealer_id, x.region_id, x.is_main FROM jsonb_to_recordset($1::jsonb) AS x(dealer_id text, region_id text, is_main boolean)`,
          JSON.stringify(regionRows),
        );
      }
      return { created: inserts.length, updated: patches.length - inserts.length - unchanged, unchanged };
    }, TX_OPTIONS);
  }

  /** Changes a manager under the dealer row's lock, so two head appointments of one dealer queue up. */
  private async changeManager(tx: Tx, code: string, login: string, changes: ManagerChanges): Promise<ManagerView> {
    const dealer = await lockDealer(tx, code);
    const [current] = await tx.$queryRawUnsafe<(ManagerRow & { id: string })[]>(
      `SELECT id, ${MANAGER_COLUMNS} FROM dealer_manager WHERE dealer_id = $1 AND login = $2`,
      dealer.id,
      login,
    );
    if (!current) throw new HubError('not_found', `Dealer ${code} has no manager ${login}.`);
    const active = changes.active ?? current.active;
    let isHead = changes.isHead ?? current.is_head;
    if (!active) {
      if (changes.isHead) throw new HubError('invalid_data', `manager changes: isHead: ${login} is blocked (active false) and cannot be the head.`, { field: 'isHead' });
      isHead = false;
    }
    if (isHead && !current.is_head) {
      await tx.$executeRawUnsafe(`UPDATE dealer_manager SET is_head = false WHERE dealer_id = $1 AND is_head`, dealer.id);
    }
    const [row] = await tx.$queryRawUnsafe<ManagerRow[]>(
      `UPDATE dealer_manager SET name = $2, email = $3, phone = $4, is_head = $5, active = $6 WHERE id = $1 RETURNING ${MANAGER_COLUMNS}`,
      current.id,
      changes.name ?? current.name,
      changes.email !== undefined ? changes.email : current.email,
      changes.phone !== undefined ? changes.phone : current.phone,
      isHead,
      active,
    );
    return toManagerView(row!);
  }

  private async dealerRow(code: string): Promise<{ id: string; whole_range: boolean; product_lines: string[] }> {
    const [dealer] = await this.db.query<{ id: string; whole_range: boolean; product_lines: string[] }>(
      `SELECT id, whole_range, coalesce(product_lines, '{}') AS product_lines FROM dealer WHERE code = $1`,
      [code],
    );
    if (!dealer) throw new HubError('not_found', `Dealer ${code} does not exist.`);
    return dealer;
  }

  private async dealerAndPromotion(code: string, promotionCode: string): Promise<{ dealerId: string; promotionId: string }> {
    const [row] = await this.db.query<{ dealer_id: string | null; promotion_id: string | null }>(
      `SELECT (SELECT id FROM dealer WHERE code = $1) AS dealer_id, (SELECT id FROM promotion WHERE code = $2) AS promotion_id`,
      [code, promotionCode],
    );
    if (!row?.dealer_id) throw new HubError('not_found', `Dealer ${code} does not exist.`);
    if (!row.promotion_id) throw new HubError('not_found', `Promotion ${promotionCode} does not exist.`);
    return { dealerId: row.dealer_id, promotionId: row.promotion_id };
  }
}

// ---- helpers --------------------------------------------------------------------------------------------------------

async function lockDealer(tx: Tx, code: string): Promise<{ id: string; own_prices_allowed: boolean; whole_range: boolean; product_lines: string[] }> {
  const [dealer] = await tx.$queryRawUnsafe<{ id: string; own_prices_allowed: boolean; whole_range: boolean; product_lines: string[] }[]>(
    `SELECT id, own_prices_allowed, whole_range, coalesce(product_lines, '{}') AS product_lines FROM dealer WHERE code = $1 FOR UPDATE`,
    code,
  );
  if (!dealer) throw new HubError('not_found', `Dealer ${code} does not exist.`);
  return dealer;
}

function profileOf(row: DealerColumns): DealerProfile {
  return {
    name: row.name,
    logoUrl: row.logo_url,
    authorised: row.authorised,
    acceptsSiteOrders: row.accepts_site_orders,
    callFromSite: row.call_from_site,
    active: row.active,
    contacts: row.contacts ?? {},
    description: row.description,
    wholeRange: row.whole_range,
    productLines: row.product_lines ?? [],
    ownPricesAllowed: row.own_prices_allowed,
    priceColumn: row.price_column,
  };
}

function stateOf(row: StoredDealerRow): DealerState {
  return {
    ...profileOf(row),
    // Only a dealer written around this service can lack its main region; the write gives it one again.
    mainRegionId: row.main_region_id ?? '',
    extraRegionIds: [...(row.extra_region_ids ?? [])].sort(),
  };
}

/** The dealer after a patch: given fields replace, absent ones keep the current value (or the default). */
function merge(current: DealerState | undefined, patch: DealerPatch, regionIds: Map<string, string>): DealerState {
  const base = current ?? { ...NEW_DEALER, name: '', mainRegionId: '', extraRegionIds: [] };
  const pick = <K extends keyof DealerState>(key: K, value: DealerState[K] | undefined): DealerState[K] => (value === undefined ? base[key] : value);
  const mainRegionId = patch.mainRegion !== undefined ? regionIds.get(patch.mainRegion)! : base.mainRegionId;
  const extras = patch.extraRegions !== undefined ? patch.extraRegions.map((c) => regionIds.get(c)!) : base.extraRegionIds;
  return {
    name: pick('name', patch.name),
    logoUrl: pick('logoUrl', patch.logoUrl),
    authorised: pick('authorised', patch.authorised),
    acceptsSiteOrders: pick('acceptsSiteOrders', patch.acceptsSiteOrders),
    callFromSite: pick('callFromSite', patch.callFromSite),
    active: pick('active', patch.active),
    contacts: pick('contacts', patch.contacts),
    description: pick('description', patch.description),
    wholeRange: pick('wholeRange', patch.wholeRange),
    productLines: patch.productLines !== undefined ? uniq(patch.productLines) : base.productLines,
    ownPricesAllowed: pick('ownPricesAllowed', patch.ownPricesAllowed),
    priceColumn: pick('priceColumn', patch.priceColumn),
    mainRegionId,
    // The main region is listed once, as the main one, even when the extra regions name it too.
    extraRegionIds: uniq(extras.filter((id) => id !== mainRegionId)).sort(),
  };
}

function sameProfile(a: DealerState, b: DealerState): boolean {
  return (
    a.name === b.name &&
    a.logoUrl === b.logoUrl &&
    a.authorised === b.authorised &&
    a.acceptsSiteOrders === b.acceptsSiteOrders &&
    a.callFromSite === b.callFromSite &&
    a.active === b.active &&
    canonicalJson(a.contacts) === canonicalJson(b.contacts) &&
    a.description === b.description &&
    a.wholeRange === b.wholeRange &&
    sameList(a.productLines, b.productLines) &&
    a.ownPricesAllowed === b.ownPricesAllowed &&
    a.priceColumn === b.priceColumn
  );
}

function profileColumns(state: DealerState): Record<string, unknown> {
  return {
    name: state.name,
    logo_url: state.logoUrl,
    authorised: state.authorised,
    accepts_site_orders: state.acceptsSiteOrders,
    call_from_site: state.callFromSite,
    active: state.active,
    contacts: state.contacts,
    description: state.description,
    whole_range: state.wholeRange,
    product_lines: state.productLines,
    own_prices_allowed: state.ownPricesAllowed,
    price_column: state.priceColumn,
  };
}

/** JSON with object keys sorted: jsonb does not keep the order keys were written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function toDealerView(row: DealerViewRow): DealerView {
  const regions = row.regions ?? [];
  const main = regions.find((r) => r.main);
  const managers = row.managers ?? [];
  const takeSeconds = Number(row.take_seconds_total);
  return {
    id: row.id,
    code: row.code,
    ...profileOf(row),
    mainRegion: main ? { code: main.code, name: main.name, path: main.path } : missingMainRegion(row.code),
    extraRegions: regions.filter((r) => !r.main).map((r) => ({ code: r.code, name: r.name, path: r.path })),
    points: row.points,
    takesCount: row.takes_count,
    avgTakeSeconds: row.takes_count > 0 ? takeSeconds / row.takes_count : null,
    managers,
    head: managers.find((m) => m.isHead)?.login ?? null,
    promotions: row.promotions ?? [],
    assortmentCount: row.assortment_count,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function mainRegionOf(code: string, mainRegion: string | null): string {
  return mainRegion ?? missingMainRegion(code);
}

function missingMainRegion(code: string): never {
  throw new HubError('internal', `Dealer ${code} has no main region (its regions were written around DealerService).`);
}

function toManagerView(row: ManagerRow): ManagerView {
  return { login: row.login, name: row.name, email: row.email, phone: row.phone, isHead: row.is_head, active: row.active, canSignIn: row.can_sign_in };
}

interface PromotionRow {
  code: string;
  name: string;
  description: string | null;
  valid_from: string | null;
  valid_to: string | null;
  dealers: number;
  created_at: Date | string;
}

function toPromotionView(row: PromotionRow): PromotionView {
  return {
    code: row.code,
    name: row.name,
    description: row.description,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    dealers: Number(row.dealers),
    createdAt: iso(row.created_at),
  };
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

function uniq<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** At most 20 values named, then how many more. */
function listed(values: string[]): string {
  return values.length <= 20 ? values.join(', ') : `${values.slice(0, 20).join(', ')} and ${values.length - 20} more`;
}
