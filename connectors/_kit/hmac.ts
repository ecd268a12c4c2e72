import { createHmac, timingSafeEqual } from 'node:crypto';

/** base64(HMAC-SHA256(body, secret)) over the raw bytes, as WooCommerce (and Shopify) sign webhooks. */
export function hmacSha256Base64(body: Buffer | string, secret: string | Buffer): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

/**
 * Constant-time check of a base64 HMAC-SHA256 signature over the raw request bytes. Compute it
 * before any JSON parsing: re-serialising changes `\/` and `\uXXXX` escapes and breaks the match.
 * A missing, empty or differently sized signature is simply false.
 */
export function verifyHmacSha256Base64(body: Buffer | string, secret: string | Buffer, signature: string | undefined): boolean {
  if (typeof signature !== 'string') return false;
  const given = Buffer.from(signature.trim(), 'utf8');
  const expected = Buffer.from(hmacSha256Base64(body, secret), 'utf8');
  if (given.length !== expected.length) {
    // Compare anyway so a wrong length costs the same as a wrong value.
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(given, expected);
}

/** First value of a header from a Node-style header record, looked up case-insensitively. */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
