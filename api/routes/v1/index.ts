import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../../deps.ts';
import authRoutes from './auth.ts';
import channelRoutes from './channels/index.ts';
import connectorRoutes from './connectors.ts';
import dealerRoutes from './dealers.ts';
import distributionRoutes from './distribution.ts';
import orderRoutes from './orders.ts';
import exclusivityRoutes from './exclusivity.ts';
import outboxAndReportRoutes from './outbox-and-reports.ts';
import rawPayloadRoutes from './raw-payloads.ts';
import salesDeskRoutes from './sales-desk.ts';
import statusUpdateRoutes from './status-updates.ts';
import stockRoutes from './stock.ts';
import userRoutes from './users.ts';

/** Everything under /v1. */
const v1Routes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  await app.register(authRoutes, { deps });
  await app.register(userRoutes, { deps });
  await app.register(connectorRoutes, { deps });
  await app.register(channelRoutes, { deps });
  await app.register(orderRoutes, { deps });
  await app.register(rawPayloadRoutes, { deps });
  await app.register(salesDeskRoutes, { deps });
  await app.register(outboxAndReportRoutes, { deps });
  await app.register(statusUpdateRoutes, { deps });
  await app.register(exclusivityRoutes, { deps });
  await app.register(stockRoutes, { deps });
  await app.register(dealerRoutes, { deps });
  await app.register(distributionRoutes, { deps });
};

export default v1Routes;
