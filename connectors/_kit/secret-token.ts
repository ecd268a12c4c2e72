import { createHash, timingSafeEqual } from 'node:crypto';
import { headerValue } from './hmac.ts';

/** Constant-time comparison of a presented secret with the expected one (hashed first, so lengths never leak). */
export function secretsEqual(given: string | undefined, expected: string | undefined): boolean {
  if (!given || !expected) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The API key a pushing client presents: `Authorization: Bearer <key>` or `X-Api-Key: <key>`. */
export function presentedApiKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = headerValue(headers, 'authorization');
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  return bearer ?? headerValue(headers, 'x-api-key')?.trim();
}
