import { userInfo } from 'node:os';

/**
 * Who did something, as every change records it. The API builds it from the authenticated
 * principal; the CLI runs next to the database as an OS user and is recorded as `cli:<user>`.
 */
export interface Actor {
  /** The login, cli:<OS user> for the CLI, or anonymous for a failed sign-in. */
  login: string;
  userId: string | null;
  via: ActorVia;
  /** The address the request came from. */
  ip: string | null;
}

export type ActorVia = 'session' | 'token' | 'basic' | 'cli' | 'anonymous';

export function cliActor(): Actor {
  let name = process.env.USER ?? process.env.USERNAME;
  try {
    name = userInfo().username || name;
  } catch {
    // No passwd entry for the uid (some containers): the environment's name, or the uid.
  }
  return { login: `cli:${name ?? process.getuid?.() ?? 'unknown'}`, userId: null, via: 'cli', ip: null };
}
