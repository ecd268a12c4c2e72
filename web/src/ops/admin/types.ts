import type { paths } from '../../api/client';

type Json<T> = T extends { content: { 'application/json': infer J } } ? J : never;

export type Dealer = Json<paths['/v1/dealers/{code}']['get']['responses'][200]>;
export type DealerList = Json<paths['/v1/dealers']['get']['responses'][200]>;
export type DealerSummary = DealerList['dealers'][number];
export type DealerInput = NonNullable<paths['/v1/dealers']['post']['requestBody']>['content']['application/json'];
export type DealerChanges = NonNullable<paths['/v1/dealers/{code}']['patch']['requestBody']>['content']['application/json'];
export type Manager = Dealer['managers'][number];
export type Assortment = Json<paths['/v1/dealers/{code}/assortment']['get']['responses'][200]>;
export type PriceColumns = Json<paths['/v1/dealers/{code}/price-column']['get']['responses'][200]>;
export type PointsChange = Json<paths['/v1/dealers/{code}/points']['get']['responses'][200]>['items'][number];
export type Region = Json<paths['/v1/regions']['get']['responses'][200]>['items'][number];
export type RegionInput = NonNullable<paths['/v1/regions']['put']['requestBody']>['content']['application/json']['regions'][number];
export type Rule = Json<paths['/v1/exclusivity-rules']['get']['responses'][200]>['items'][number];
export type RuleInput = NonNullable<paths['/v1/exclusivity-rules']['post']['requestBody']>['content']['application/json'];
export type RuleQuery = NonNullable<paths['/v1/exclusivity-rules']['get']['parameters']['query']>;
export type CheckResult = Json<paths['/v1/exclusivity/check']['post']['responses'][200]>;
export type User = Json<paths['/v1/users/{login}']['get']['responses'][200]>;
export type Role = User['roles'][number];
export type UserInput = NonNullable<paths['/v1/users']['post']['requestBody']>['content']['application/json'];
export type AuditEvent = Json<paths['/v1/audit']['get']['responses'][200]>['items'][number];
export type AuditQuery = NonNullable<paths['/v1/audit']['get']['parameters']['query']>;
export type Promotion = Json<paths['/v1/promotions']['get']['responses'][200]>['items'][number];

export const STAFF_ROLES = ['admin', 'ops', 'accountant', 'desk', 'distribution'] as const satisfies readonly Role[];
export const OTHER_ROLES = ['integration', 'monitoring'] as const satisfies readonly Role[];
export const DEALER_ROLES = ['dealer_head', 'dealer_manager'] as const satisfies readonly Role[];
export const ALL_ROLES: readonly Role[] = [...STAFF_ROLES, ...OTHER_ROLES, ...DEALER_ROLES];
export const SCOPES = ['product', 'product_line', 'brand'] as const satisfies readonly RuleInput['scope'][];
export const AUDIT_KINDS = ['request', 'change', 'security'] as const satisfies readonly AuditEvent['kind'][];
