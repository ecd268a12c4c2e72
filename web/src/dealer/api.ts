import { api, ok, type JsonOf, type paths } from '../api/client';

/** Types and query keys of the dealer cabinet's calls (web/src/api/schema.d.ts is generated from the hub's routes). */
type Json<P extends keyof paths, M extends 'get' | 'post' | 'patch' | 'put'> = paths[P][M] extends { responses: { 200: infer R } } ? JsonOf<R> : never;

export type OrdersView = 'offered' | 'mine' | 'completed' | 'all';
export type DealerOrderRow = Json<'/v1/dealers/{code}/orders', 'get'>['orders'][number];
export type Dealer = Json<'/v1/dealers/{code}', 'get'>;
export type Manager = Json<'/v1/dealers/{code}/managers', 'get'>['items'][number];
export type Notification = Json<'/v1/dealers/{code}/notifications', 'get'>['items'][number];
export type PointsChange = Json<'/v1/dealers/{code}/points', 'get'>['items'][number];
export type StatusAnswer = Json<'/v1/dealers/{code}/orders/{orderId}/status', 'post'>;
export type WorkStatus = 'contacted' | 'in_progress' | 'completed' | 'cancelled';

export const keys = {
  all: (code: string) => ['dealer', code] as const,
  orders: (code: string) => ['dealer', code, 'orders'] as const,
  list: (code: string, view: OrdersView, q: string, offset: number) => ['dealer', code, 'orders', 'list', view, q, offset] as const,
  counts: (code: string) => ['dealer', code, 'orders', 'counts'] as const,
  card: (code: string, orderId: string) => ['dealer', code, 'orders', 'card', orderId] as const,
  comments: (code: string, orderId: string) => ['dealer', code, 'orders', 'card', orderId, 'comments'] as const,
  notifications: (code: string) => ['dealer', code, 'notifications'] as const,
  points: (code: string) => ['dealer', code, 'points'] as const,
  profile: (code: string) => ['dealer', code, 'profile'] as const,
  managers: (code: string) => ['dealer', code, 'managers'] as const,
};

export const PAGE = 50;

export async function listOrders(code: string, view: OrdersView, q: string, offset: number) {
  return ok(api.GET('/v1/dealers/{code}/orders', { params: { path: { code }, query: { view, q: q || undefined, offset, limit: PAGE } } }));
}

export async function unreadNotifications(code: string) {
  return ok(api.GET('/v1/dealers/{code}/notifications', { params: { path: { code }, query: { unread: true, limit: 100 } } }));
}

export async function orderCounts(code: string) {
  return ok(api.GET('/v1/dealers/{code}/orders/counts', { params: { path: { code } } }));
}

export type DealerOrderCard = Json<'/v1/dealers/{code}/orders/{orderId}', 'get'>;
export type OrderComment = DealerOrderCard['comments'][number];

export async function orderCard(code: string, orderId: string) {
  return ok(api.GET('/v1/dealers/{code}/orders/{orderId}', { params: { path: { code, orderId } } }));
}
