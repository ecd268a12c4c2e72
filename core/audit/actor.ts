import { userInfo } from 'node:os';

/**
 * Who did something, as every change records it. The API builds it from the authenticated
 * principal; the CLI runs next to the database as an OS user and is recorded as `cli:<user>`;
 * the hub's own jobs are `system`.
 */
export interface Actor {
  /** The login (or cli:<OS user>, or system). */
  login: string;
  userId: string | null;
  via: ActorVia;
  /** The address the request came from. */
  ip: string | null;
}

export type ActorVia = 'session' | 'token' | 'basic' | 'cli' | 'system' | 'anonymous';

export const SYSTEM_ACTOR: Actor = { login: 'system', userId: null, via: 'system', ip: null };

export function cliActor(): Actor {
  let name = process.env.USER ?? process.env.USERNAME;
  try {
    name = userInfo().username || name;
  } catch {
    // No passwd entry for the uid (some containers): the environment's name, or the uid.
  }
  return { login: `cli:${name ?? process.getuid?.() ?? 'unknown'}`, userId: null, via: 'cli', ip: null };
}
