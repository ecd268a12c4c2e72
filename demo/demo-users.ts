import { randomBytes } from 'node:crypto';
import { cliActor } from '../core/audit/actor.ts';
import type { Role } from '../core/identity/access-rules.ts';
import type { Database } from '../core/db/database.ts';
import { UserService } from '../core/identity/user-service.ts';

export interface DemoLogin {
  login: string;
  role: Role;
  dealer: string | null;
  password: string;
}

/** Staff of every role, and a head and an employee of two demo dealers (demo/dealer-network.ts). */
const DEMO_USERS: { login: string; name: string; role: Role; dealer?: string }[] = [
  { login: 'admin', name: 'Demo admin', role: 'admin' },
  { login: 'ops', name: 'Olga Ops', role: 'ops' },
  { login: 'accountant', name: 'Ákos Accountant', role: 'accountant' },
  { login: 'desk', name: 'Dóra Desk', role: 'desk' },
  { login: 'distribution', name: 'Dénes Distribution', role: 'distribution' },
  { login: 'kert.head', name: 'Katalin Kert', role: 'dealer_head', dealer: 'BP-KERT' },
  { login: 'kert.anna', name: 'Anna Kert', role: 'dealer_manager', dealer: 'BP-KERT' },
  { login: 'kelet.head', name: 'Károly Kelet', role: 'dealer_head', dealer: 'KELET' },
  { login: 'kelet.bela', name: 'Béla Kelet', role: 'dealer_manager', dealer: 'KELET' },
];

/** Makes the demo's users with fresh random passwords (the demo's database is new every run). */
export async function createDemoUsers(db: Database): Promise<DemoLogin[]> {
  const users = new UserService(db);
  const actor = cliActor();
  const made: DemoLogin[] = [];
  for (const user of DEMO_USERS) {
    const password = `demo-${randomBytes(9).toString('base64url')}`;
    await users.create({ login: user.login, name: user.name, roles: [user.role], ...(user.dealer && { dealer: user.dealer }), password }, actor);
    made.push({ login: user.login, role: user.role, dealer: user.dealer ?? null, password });
  }
  return made;
}
