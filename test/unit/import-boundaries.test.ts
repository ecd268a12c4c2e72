import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The architecture's import boundaries are enforced by lint; these cases prove the rule bites. */
const eslint = new ESLint({ cwd: process.cwd() });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['connectors/woocommerce/client.ts', `import { ingestOrders } from '../../core/orders/intake.ts';`, /never import core/],
    ['connectors/woocommerce/client.ts', `import { x } from '../shoprenter/client.ts';`, /another connector/],
    ['connectors/woocommerce/streams/orders.ts', `import { x } from '../../unas/client.ts';`, /another connector/],
    ['core/orders/intake.ts', `import Fastify from 'fastify';`, /Core is domain rules/],
    ['core/orders/intake.ts', `import { Queue } from 'bullmq';`, /Core is domain rules/],
    ['core/channels/channels.ts', `import { woocommerceConnector } from '../../connectors/woocommerce/index.ts';`, /Core is domain rules/],
    ['mappings/woocommerce/index.ts', `import { readFile } from 'node:fs/promises';`, /Mappings are pure/],
    ['mappings/woocommerce/index.ts', `import { ingestOrders } from '../../core/orders/intake.ts';`, /Mappings are pure/],
    ['api/routes/v1/channels.ts', `import { syncChannel } from '../../../jobs/processors/sync-channel.ts';`, /through core\/ports/],
  ])('refuses %s importing %s', async (file, code, message) => {
    const errors = await boundaryErrors(file, `${code}\nexport const used = [${code.match(/\{ (\w+) \}|import (\w+)/)!.slice(1).find(Boolean)}];\n`);
    expect(errors.join('\n')).toMatch(message);
  });

  it.each([
    ['connectors/woocommerce/client.ts', `import { ConnectorError } from '../_kit/connector-error.ts';`],
    ['connectors/woocommerce/streams/orders.ts', `import { fetchPage } from '../client.ts';`],
    ['connectors/woocommerce/streams/orders.ts', `import { ConnectorError } from '../../_kit/connector-error.ts';`],
    ['mappings/woocommerce/index.ts', `import { OrderDraftSchema } from '../../core/model/order.ts';`],
    ['jobs/hub.ts', `import { woocommerceConnector } from '../connectors/woocommerce/index.ts';`],
    ['api/app.ts', `import { HubError } from '../core/errors.ts';`],
  ])('allows %s importing %s', async (file, code) => {
    const errors = await boundaryErrors(file, `${code}\nexport const used = [${code.match(/\{ (\w+) \}/)![1]}];\n`);
    expect(errors).toEqual([]);
  });
});
