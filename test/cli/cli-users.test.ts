import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { cliActor } from '../../core/audit/actor.ts';
import { UserService } from '../../core/identity/user-service.ts';
import { runHub, runHubWithInput, startHubUntil } from '../helpers/cli.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { FakeActions, fakeCatalog } from '../api/fakes.ts';

/** hub users / hub tokens / hub audit / hub routes, as an operator runs them next to the database (a fresh one per test). */
describe('hub users and tokens', { timeout: 120_000 }, () => {
  let t: TestDatabase;
  const env = () => ({ DATABASE_URL: t.url, REDIS_URL: undefined, HUB_ROLE: undefined, PORT: '0' });
  const hub = (...args: string[]) => runHub(env(), ...args);
  const hubWith = (input: string, ...args: string[]) => runHubWithInput(env(), input, ...args);
  /** Users made as the CLI makes them, for the tests that are not about making them. */
  const users = async () => {
    const service = new UserService(t.db);
    await service.create({ login: 'admin', roles: ['admin'], password: 'a long admin password' }, cliActor());
    await service.create({ login: 'kert.head', roles: ['dealer_head'], dealer: 'KERT', password: 'head password 1234' }, cliActor());
    await service.create({ login: 'onec', roles: ['integration'] }, cliActor());
  };

  beforeEach(async () => {
    t = await createTestPostgres();
    await t.db.query(`INSERT INTO dealer (id, code, name) VALUES ('d-1', 'KERT', 'Kert Kft.')`);
  });

  afterEach(async () => {
    await t?.drop();
  });

  it('says at start how to make the first admin while there is none', async () => {
    const output = await startHubUntil(env(), /No admin yet/);
    expect(output).toContain('hub users add admin --role admin --password-stdin');
  });

  it('adds users with passwords from standard input, lists them, and refuses what is wrong', async () => {
    const admin = await hubWith('a long admin password\n', 'users', 'add', 'admin', '--role', 'admin', '--name', 'Ada Admin', '--password-stdin');
    expect(admin).toMatchObject({ code: 0, stderr: '' });
    expect(admin.stdout).toBe('Added admin (admin).\n');
    const head = await hubWith('head password 1234', 'users', 'add', 'kert.head', '--role', 'dealer_head', '--dealer', 'KERT', '--password-stdin');
    expect(head.stdout).toBe('Added kert.head (dealer_head) of dealer KERT.\n');
    const machine = await hub('users', 'add', 'onec', '--role', 'integration');
    expect(machine.stdout).toMatch(/no password: it signs in with tokens only/);

    const short = await hubWith('short', 'users', 'add', 'olga', '--role', 'ops', '--password-stdin');
    expect(short).toMatchObject({ code: 1, stderr: 'error: password must be at least 10 characters long.\n' });
    const empty = await hubWith('', 'users', 'add', 'olga', '--role', 'ops', '--password-stdin');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/No password on standard input/);
    expect((await hub('users', 'add', 'olga', '--role', 'wizard')).stderr).toMatch(/roles\.0/);

    const listed = await hub('users', 'list', '--json');
    const users = JSON.parse(listed.stdout) as { login: string; roles: string[]; dealer: { code: string } | null; hasPassword: boolean; createdBy: string }[];
    expect(users.map((u) => [u.login, u.roles, u.dealer?.code ?? null, u.hasPassword])).toEqual([
      ['admin', ['admin'], null, true],
      ['kert.head', ['dealer_head'], 'KERT', true],
      ['onec', ['integration'], null, false],
    ]);
    expect(users[0]!.createdBy).toMatch(/^cli:/);
    const table = await hub('users', 'list');
    expect(table.stdout.split('\n')[0]).toMatch(/^LOGIN +ROLES +DEALER +PASSWORD +STATE +CREATED$/);
  });

  it('makes a token that works against the API until it is revoked', async () => {
    await users();
    const made = await hub('tokens', 'create', 'admin', '--name', 'nightly', '--expires', '30d');
    expect(made).toMatchObject({ code: 0, stderr: '' });
    const lines = made.stdout.trim().split('\n');
    const token = lines.at(-1)!;
    expect(token).toMatch(/^ohk_[\w-]{43}$/);
    const id = /\(id ([0-9a-f-]{36})\)/.exec(lines[0]!)![1]!;

    const app = await buildApp({ db: t.db, catalog: fakeCatalog, actions: new FakeActions(t.db) });
    try {
      const me = await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
      expect(me.json()).toMatchObject({ login: 'admin', roles: ['admin'], via: 'token' });
      const listed = await hub('tokens', 'list', 'admin');
      expect(listed.stdout).toContain(id);
      expect(listed.stdout).not.toContain(token);
      const revoked = await hub('tokens', 'revoke', id);
      expect(revoked.stdout).toMatch(/is revoked since/);
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
      // The password set by the CLI signs in.
      const signIn = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { login: 'kert.head', password: 'head password 1234' } });
      expect(signIn.json()).toMatchObject({ roles: ['dealer_head'], dealer: { code: 'KERT', head: true } });
    } finally {
      await app.close();
    }
    expect((await hub('tokens', 'create', 'admin', '--expires', 'tomorrowish')).stderr).toMatch(/--expires must be/);
  });

  it('disables, enables, changes roles and passwords, and keeps the last admin', async () => {
    await users();
    expect((await hub('users', 'disable', 'admin')).stderr).toMatch(/without an enabled admin/);
    expect((await hub('users', 'disable', 'kert.head')).stdout).toBe('kert.head is disabled.\n');
    expect((await hub('users', 'enable', 'kert.head')).stdout).toBe('kert.head is enabled.\n');
    expect((await hub('users', 'set-roles', 'onec', '--role', 'integration', '--role', 'ops')).stdout).toBe('onec now has integration, ops.\n');
    expect((await hubWith('a fresh password!', 'users', 'set-password', 'onec', '--password-stdin')).stdout).toBe('Password of onec set; its sessions ended.\n');
    expect((await hub('users', 'disable', 'nobody')).stderr).toBe('error: User nobody does not exist.\n');
  });

  it('shows the audit log with the CLI recorded as the OS user, and every route with who may call it', async () => {
    await hub('users', 'add', 'admin', '--role', 'admin');
    await hubWith('a fresh password!', 'users', 'set-password', 'admin', '--password-stdin');
    await hub('users', 'set-roles', 'admin', '--role', 'admin', '--role', 'ops');
    const made = await hub('tokens', 'create', 'admin');
    await hub('tokens', 'revoke', /\(id ([0-9a-f-]{36})\)/.exec(made.stdout)![1]!);
    const audit = await hub('audit', '--kind', 'change', '--json');
    const events = JSON.parse(audit.stdout) as { action: string; actor: string; via: string }[];
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['user.create', 'token.create', 'token.revoke', 'user.update', 'user.password']));
    for (const event of events) expect(event).toMatchObject({ actor: expect.stringMatching(/^cli:/), via: 'cli' });

    const routes = await hub('routes');
    expect(routes.stdout).toMatch(/^POST +\/v1\/dealers\/:code\/orders\/:orderId\/take +dealer: dealer\.orders\.take +dealer_head \(own dealer\), dealer_manager \(own dealer\)$/m);
    expect(routes.stdout).toMatch(/^GET +\/health +anyone +anyone$/m);
  });
});
