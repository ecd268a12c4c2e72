import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { WEB_TYPES, webTypes } from '../../scripts/web-types.ts';

describe('the web app is typed against the API it is served with', () => {
  it('web/src/api/schema.d.ts is what openapi-typescript makes of the routes now (else: npm run web:types)', async () => {
    const committed = await readFile(WEB_TYPES, 'utf8');
    expect(committed === (await webTypes()), 'web/src/api/schema.d.ts is stale: run `npm run web:types`').toBe(true);
  });
});
