import type { Command } from 'commander';
import { cliActor } from '../../core/audit/actor.ts';
import { listAudit, type AuditKind } from '../../core/audit/audit-log.ts';
import { ROLES, type Role } from '../../core/identity/access-rules.ts';
import { ApiTokens } from '../../core/identity/api-tokens.ts';
import { UserService } from '../../core/identity/user-service.ts';
import { collect, fail, printTable, withHub } from '../support.ts';

/**
 * hub users / hub tokens / hub audit. The CLI runs next to the database, so it needs no sign-in:
 * whoever can run it can read the database anyway. Its changes are recorded as the OS user
 * (cli:<user>) in the audit log.
 */
export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('who may use the hub: staff, integration machines and dealers\u2019 users');

  users
    .command('add <login>')
    .description('add a user; a dealer_head or dealer_manager names its dealer (the dealer\u2019s manager of that login is made if missing)')
    .requiredOption('--role <role>', `a role (repeatable): ${ROLES.join(', ')}`, collect, [] as string[])
    .option('--dealer <code>', 'the dealer of a dealer_head or dealer_manager')
    .option('--name <name>', 'the person\u2019s name')
    .option('--password-stdin', 'read the password from standard input (without it the user signs in with tokens only)')
    .action(async (login: string, options: { role: string[]; dealer?: string; name?: string; passwordStdin?: boolean }) => {
      const password = options.passwordStdin ? await readPassword() : undefined;
      await withHub(async (hub) => {
        const user = await new UserService(hub.db).create(
          { login, roles: options.role as Role[], ...(options.dealer && { dealer: options.dealer }), ...(options.name && { name: options.name }), ...(password !== undefined && { password }) },
          cliActor(),
        );
        const where = user.dealer ? ` of dealer ${user.dealer.code}` : '';
        console.log(`Added ${user.login} (${user.roles.join(', ')})${where}${user.hasPassword ? '' : '; no password: it signs in with tokens only (hub tokens create)'}.`);
      });
    });

  users
    .command('list')
    .description('list users with their roles')
    .option('--role <role>', 'only users with this role')
    .option('--dealer <code>', 'only this dealer\u2019s users')
    .option('--json', 'machine-readable output')
    .action(async (options: { role?: string; dealer?: string; json?: boolean }) => {
      await withHub(async (hub) => {
        const list = await new UserService(hub.db).list({ role: options.role as Role | undefined, dealer: options.dealer });
        if (options.json) {
          console.log(JSON.stringify(list, null, 2));
          return;
        }
        if (list.length === 0) {
          console.log('No users yet. Add the first admin: hub users add admin --role admin --password-stdin');
          return;
        }
        printTable(
          ['LOGIN', 'ROLES', 'DEALER', 'PASSWORD', 'STATE', 'CREATED'],
          list.map((u) => [u.login, u.roles.join(','), u.dealer?.code ?? '', u.hasPassword ? 'yes' : 'no', u.disabled ? 'disabled' : 'enabled', `${u.createdAt.slice(0, 10)} by ${u.createdBy}`]),
        );
      });
    });

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    users
      .command(`${name} <login>`)
      .description(disabled ? 'stop a user signing in: its sessions end, its tokens stop working' : 'let a disabled user sign in again')
      .action(async (login: string) => {
        await withHub(async (hub) => {
          const user = await new UserService(hub.db).update(login, { disabled }, cliActor());
          console.log(`${user.login} is ${user.disabled ? 'disabled' : 'enabled'}.`);
        });
      });
  }

  users
    .command('set-password <login>')
    .description('set a user\u2019s password (read from standard input); its sessions end')
    .option('--password-stdin', 'read the password from standard input (the default; accepted for symmetry with add)')
    .action(async (login: string) => {
      const password = await readPassword();
      await withHub(async (hub) => {
        const user = await new UserService(hub.db).setPassword(login, password, cliActor());
        console.log(`Password of ${user.login} set; its sessions ended.`);
      });
    });

  users
    .command('set-roles <login>')
    .description('replace a user\u2019s roles (a dealer\u2019s user moves between dealer_head and dealer_manager)')
    .requiredOption('--role <role>', 'a role (repeatable)', collect, [] as string[])
    .action(async (login: string, options: { role: string[] }) => {
      await withHub(async (hub) => {
        const user = await new UserService(hub.db).update(login, { roles: options.role }, cliActor());
        console.log(`${user.login} now has ${user.roles.join(', ')}.`);
      });
    });

  const tokens = program.command('tokens').description('API tokens for scripts and machines (Authorization: Bearer \u2026)');

  tokens
    .command('create <login>')
    .description('make an API token acting as the user; the token is printed once, as the last line')
    .option('--name <name>', 'what the token is for', 'cli')
    .option('--expires <when>', 'an ISO date or date-time, a number of days (30d), or never; default 90 days')
    .action(async (login: string, options: { name: string; expires?: string }) => {
      const expiresAt = expiryOf(options.expires);
      await withHub(async (hub) => {
        const userId = await new UserService(hub.db).idOf(login);
        const made = await new ApiTokens(hub.db).create(userId, { name: options.name, ...(expiresAt !== undefined && { expiresAt }) }, cliActor());
        console.log(`Token "${made.details.name}" (id ${made.details.id}) for ${login}, ${made.details.expiresAt ? `expires ${made.details.expiresAt}` : 'never expires'}. Store it now: it is not shown again.`);
        console.log(made.token);
      });
    });

  tokens
    .command('list <login>')
    .description('a user\u2019s tokens (never their secrets)')
    .action(async (login: string) => {
      await withHub(async (hub) => {
        const list = await new ApiTokens(hub.db).list(await new UserService(hub.db).idOf(login));
        printTable(
          ['ID', 'NAME', 'PREFIX', 'EXPIRES', 'LAST USED', 'STATE'],
          list.map((t) => [t.id, t.name, `${t.prefix}\u2026`, t.expiresAt?.slice(0, 16) ?? 'never', t.lastUsedAt ? `${t.lastUsedAt.slice(0, 16)} ${t.lastUsedIp ?? ''}`.trim() : '-', t.revokedAt ? 'revoked' : 'active']),
        );
      });
    });

  tokens
    .command('revoke <tokenId>')
    .description('revoke a token at once')
    .action(async (tokenId: string) => {
      await withHub(async (hub) => {
        const token = await new ApiTokens(hub.db).revoke(null, tokenId, cliActor());
        console.log(`Token "${token.name}" (${token.id}) is revoked since ${token.revokedAt}.`);
      });
    });

  program
    .command('audit')
    .description('the audit log, newest first: who changed what, sign-ins, configuration and permission changes')
    .option('--kind <kind>', 'request, change or security')
    .option('--actor <login>', 'one actor (cli:<user> for the CLI)')
    .option('--action <action>', 'an action, or a prefix ending in * (user.*)')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'machine-readable output')
    .action(async (options: { kind?: string; actor?: string; action?: string; limit: string; json?: boolean }) => {
      await withHub(async (hub) => {
        const events = await listAudit(hub.db, {
          ...(options.kind && { kind: options.kind as AuditKind }),
          ...(options.actor && { actor: options.actor }),
          ...(options.action && { action: options.action }),
          limit: Math.min(500, Math.max(1, Number.parseInt(options.limit, 10) || 50)),
        });
        if (options.json) {
          console.log(JSON.stringify(events, null, 2));
          return;
        }
        printTable(
          ['AT', 'ACTOR', 'VIA', 'IP', 'ACTION', 'TARGET', 'STATUS'],
          events.map((e) => [e.at.slice(0, 19), e.actor, e.via, e.ip ?? '', e.action, e.target ? `${e.target.type} ${e.target.id}` : '', e.status === null ? '' : String(e.status)]),
        );
      });
    });
}

/** The password from standard input: everything up to the end, without the final line break. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (then Enter and Ctrl+D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!password) fail('No password on standard input: pipe it in, e.g. `printf %s "$PASSWORD" | hub users add anna --role ops --password-stdin`.');
  return password;
}

/** --expires: an ISO date or date-time, Nd, or never; undefined for the default. */
function expiryOf(text: string | undefined): string | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'never') return null;
  const days = /^(\d+)d$/.exec(text);
  if (days) return new Date(Date.now() + Number(days[1]) * 86_400_000).toISOString();
  const at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(at.getTime())) fail(`--expires must be an ISO date (2027-01-31), a date-time, a number of days (30d) or never; got "${text}".`);
  return at.toISOString();
}
