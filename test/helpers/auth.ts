import type { FastifyInstance, InjectOptions } from 'fastify';
import { cliActor } from '../../core/audit/actor.ts';
import type { Database } from '../../core/db/database.ts';
import type { Role } from '../../core/identity/access-rules.ts';
import { ApiTokens } from '../../core/identity/api-tokens.ts';
import { UserService } from '../../core/identity/user-service.ts';

/**
 * Real users with real API tokens for tests: the API authenticates them exactly as it does anyone
 * (no test bypass exists). Users are made through core, as the CLI does.
 */

export interface TestUser {
  login: string;
  token: string;
  /** The headers a request of this user carries. */
  headers: { authorization: string };
}

let counter = 0;

export async function makeUser(db: Database, user: { login?: string; roles: Role[]; dealer?: string; password?: string }): Promise<TestUser> {
  counter += 1;
  const login = user.login ?? `${user.roles.join('-')}-${process.pid}-${counter}`;
  const users = new UserService(db);
  await users.create({ login, roles: user.roles, ...(user.dealer && { dealer: user.dealer }), ...(user.password && { password: user.password }) }, cliActor());
  const made = await new ApiTokens(db).create(await users.idOf(login), { name: 'test' }, cliActor());
  return { login, token: made.token, headers: { authorization: `Bearer ${made.token}` } };
}

/** The app as one user sees it: every inject carries the user's token (a request's own headers win). */
export function actingAs(app: FastifyInstance, user: TestUser): FastifyInstance {
  return new Proxy(app, {
    get(target, property) {
      if (property === 'inject') {
        return (options: InjectOptions | string) =>
          target.inject(typeof options === 'string' ? { url: options, headers: user.headers } : { ...options, headers: { ...user.headers, ...options.headers } });
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** An admin and the app as the admin sees it. */
export async function asAdmin(app: FastifyInstance, db: Database): Promise<{ app: FastifyInstance; admin: TestUser }> {
  const admin = await makeUser(db, { roles: ['admin'] });
  return { app: actingAs(app, admin), admin };
}
