import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { buildApp } from '../../api/app.ts';
import { describeAccess, describeCallers, inventoryTable, securityInventory, sortedRoutes } from '../../api/auth/route-inventory.ts';
import { openDatabase } from '../../core/db/database.ts';
import type { ConnectorCatalog, HubActions } from '../../core/ports.ts';
import { fail } from '../support.ts';

export const INVENTORY_START = '<!-- route inventory: start (hub routes --write docs/security.md) -->';
export const INVENTORY_END = '<!-- route inventory: end -->';

/**
 * hub routes: every API route with who may call it, read from the routes' own declarations. With
 * --write, replaces the inventory in a Markdown file (docs/security.md) between its markers.
 */
export function registerRouteCommands(program: Command): void {
  program
    .command('routes')
    .description('every API route with the access it declares and the roles that may call it')
    .option('--markdown', 'print the Markdown table')
    .option('--write <file>', 'replace the route inventory in this Markdown file (between its markers)')
    .action(async (options: { markdown?: boolean; write?: string }) => {
      const routes = await declaredRoutes();
      if (options.write) {
        const text = await readFile(options.write, 'utf8');
        const start = text.indexOf(INVENTORY_START);
        const end = text.indexOf(INVENTORY_END);
        if (start < 0 || end < start) fail(`${options.write} has no inventory markers:\n${INVENTORY_START}\n${INVENTORY_END}`);
        await writeFile(options.write, `${text.slice(0, start + INVENTORY_START.length)}\n${securityInventory(routes)}\n${text.slice(end)}`);
        console.log(`Wrote ${routes.length} routes into ${options.write}.`);
        return;
      }
      if (options.markdown) {
        console.log(inventoryTable(routes));
        return;
      }
      for (const route of sortedRoutes(routes)) console.log(`${route.method.padEnd(6)} ${route.url.padEnd(52)} ${describeAccess(route.access).padEnd(50)} ${describeCallers(route.access)}`);
    });
}

/** The routes as the API registers them; building the app reads nothing, so an empty in-memory database will do. */
export async function declaredRoutes() {
  const db = await openDatabase({});
  const catalog: ConnectorCatalog = { get: () => undefined, list: () => [] };
  // Routes keep references to the hub's actions but call none of them while registering.
  const actions = {} as HubActions;
  const app = await buildApp({ db, catalog, actions });
  try {
    await app.ready();
    return [...app.routeAccess];
  } finally {
    await app.close();
    await db.close();
  }
}
