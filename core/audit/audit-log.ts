import { Type, type Static } from '@sinclair/typebox';
import type { Database } from '../db/database.ts';
import type { Prisma, PrismaClient } from '../db/generated/client.ts';
import { HubError } from '../errors.ts';
import type { Actor } from './actor.ts';

/**
 * The audit log: who did what, when, from which address.
 * - request: every authenticated request that may change something (method, route, status);
 * - change: a configuration or permission change, with the state before and after (secrets never
 *   appear: callers pass the redacted, public forms);
 * - security: sign-ins (failed too), sign-outs, refused credentials.
 * Rows are only ever inserted.
 */

export const AUDIT_KINDS = ['request', 'change', 'security'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export interface AuditEntry {
  kind: AuditKind;
  /** What happened, e.g. user.create, channel.update, sign-in.failed, POST /v1/channels/:id/sync. */
  action: string;
  target?: { type: string; id: string } | undefined;
  status?: number | undefined;
  before?: unknown;
  after?: unknown;
  details?: unknown;
}

/** Anything that can insert: the Prisma client or a transaction of it. */
export type AuditWriter = Pick<PrismaClient | Prisma.TransactionClient, 'auditEvent'>;

export async function recordAudit(writer: AuditWriter, actor: Actor, entry: AuditEntry): Promise<void> {
  await writer.auditEvent.create({
    data: {
      kind: entry.kind,
      action: entry.action.slice(0, 300),
      actor: actor.login,
      actorUserId: actor.userId,
      via: actor.via,
      ip: actor.ip,
      targetType: entry.target?.type ?? null,
      targetId: entry.target?.id.slice(0, 300) ?? null,
      status: entry.status ?? null,
      ...(entry.before !== undefined && { before: jsonOf(entry.before) }),
      ...(entry.after !== undefined && { after: jsonOf(entry.after) }),
      ...(entry.details !== undefined && { details: jsonOf(entry.details) }),
    },
  });
}

/** JSON as stored: dates as ISO strings, undefined dropped, and NUL (which jsonb refuses) removed. */
function jsonOf(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value ?? null).replace(/\\u0000/g, '')) as Prisma.InputJsonValue;
}

export const AuditEventSchema = Type.Object(
  {
    id: Type.String({ description: 'increasing; page with beforeId' }),
    at: Type.String({ format: 'date-time' }),
    kind: Type.Union(AUDIT_KINDS.map((k) => Type.Literal(k))),
    action: Type.String(),
    actor: Type.String({ description: 'the login, cli:<OS user> for the CLI, or anonymous for a failed sign-in' }),
    via: Type.String({ description: 'session, token, basic, cli or anonymous' }),
    ip: Type.Union([Type.String(), Type.Null()]),
    target: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()]),
    status: Type.Union([Type.Integer(), Type.Null()]),
    before: Type.Unknown(),
    after: Type.Unknown(),
    details: Type.Unknown(),
  },
  { title: 'AuditEvent' },
);
export type AuditEventView = Static<typeof AuditEventSchema>;

export const AuditQuerySchema = Type.Object(
  {
    kind: Type.Optional(Type.Union(AUDIT_KINDS.map((k) => Type.Literal(k)))),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'exact action, or a prefix ending in * (user.*)' })),
    targetType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    targetId: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    beforeId: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', description: 'the oldest id of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'default 100' })),
  },
  { additionalProperties: false, title: 'AuditQuery' },
);
export type AuditQuery = Static<typeof AuditQuerySchema>;

/** Newest first. */
export async function listAudit(db: Database, query: AuditQuery = {}): Promise<AuditEventView[]> {
  const where: Prisma.AuditEventWhereInput[] = [];
  if (query.kind) where.push({ kind: query.kind });
  if (query.actor) where.push({ actor: query.actor });
  if (query.action) where.push(query.action.endsWith('*') ? { action: { startsWith: query.action.slice(0, -1) } } : { action: query.action });
  if (query.targetType) where.push({ targetType: query.targetType });
  if (query.targetId) where.push({ targetId: query.targetId });
  if (query.from) where.push({ at: { gte: new Date(query.from) } });
  if (query.to) where.push({ at: { lte: new Date(query.to) } });
  if (query.beforeId) where.push({ id: { lt: BigInt(query.beforeId) } });
  if (query.from && query.to && query.from > query.to) throw new HubError('invalid_data', 'from must not be after to.', { field: 'from' });
  const rows = await db.prisma.auditEvent.findMany({ where: { AND: where }, orderBy: { id: 'desc' }, take: query.limit ?? 100 });
  return rows.map((row) => ({
    id: row.id.toString(),
    at: row.at.toISOString(),
    kind: row.kind as AuditKind,
    action: row.action,
    actor: row.actor,
    via: row.via,
    ip: row.ip,
    target: row.targetType && row.targetId ? { type: row.targetType, id: row.targetId } : null,
    status: row.status,
    before: row.before ?? null,
    after: row.after ?? null,
    details: row.details ?? null,
  }));
}
