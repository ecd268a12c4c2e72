import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../../deps.ts';
import accountingRoutes from './accounting.ts';
import auditRoutes from './audit.ts';
import authRoutes from './auth.ts';
import channelRoutes from './channels/index.ts';
import channelOrderRoutes from './channels/orders.ts';
import channelOutboxRoutes from './channels/outbox.ts';
import connectorRoutes from './connectors.ts';
import dealerRoutes from './dealers/index.ts';
import dealerNotificationRoutes from './dealers/notifications.ts';
import dealerOrderRoutes from './dealers/orders.ts';
import dealerPriceColumnRoutes from './dealers/price-column.ts';
import dealerSettlementRoutes from './dealers/settlements.ts';
import dealerPurchaseRoutes from './dealers/purchases.ts';
import dealerCatalogueRoutes from './dealers/catalogue.ts';
import distributionRoutes from './distribution.ts';
import exclusivityRuleRoutes from './exclusivity-rules.ts';
import exclusivityRoutes from './exclusivity.ts';
import jobRoutes from './jobs.ts';
import notificationRoutes from './notifications.ts';
import onecRoutes from './onec.ts';
import orderRoutes from './orders/index.ts';
import orderDistributionRoutes from './orders/distribution.ts';
import orderStockRoutes from './orders/stock.ts';
import outboxRoutes from './outbox.ts';
import priceColumnRoutes from './price-columns.ts';
import productRoutes from './products.ts';
import promotionRoutes from './promotions.ts';
import quoteRoutes from './quotes.ts';
import rawPayloadRoutes from './raw-payloads.ts';
import regionRoutes from './regions.ts';
import reportRoutes from './reports.ts';
import statusUpdateRoutes from './status-updates.ts';
import stockRoutes from './stock.ts';
import userRoutes from './users.ts';

/**
 * Everything under /v1. Each file serves the URLs its path names: /v1/<segment>/… lives in
 * <segment>.ts or in the folder <segment>/ (test/unit/route-layout.test.ts keeps it so).
 */
const v1Routes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  await app.register(authRoutes, { deps });
  await app.register(userRoutes, { deps });
  await app.register(auditRoutes, { deps });
  await app.register(connectorRoutes, { deps });
  await app.register(channelRoutes, { deps });
  await app.register(channelOrderRoutes, { deps });
  await app.register(channelOutboxRoutes, { deps });
  await app.register(orderRoutes, { deps });
  await app.register(orderStockRoutes, { deps });
  await app.register(orderDistributionRoutes, { deps });
  await app.register(rawPayloadRoutes, { deps });
  await app.register(jobRoutes, { deps });
  await app.register(quoteRoutes, { deps });
  await app.register(outboxRoutes, { deps });
  await app.register(reportRoutes, { deps });
  await app.register(statusUpdateRoutes, { deps });
  await app.register(regionRoutes, { deps });
  await app.register(exclusivityRuleRoutes, { deps });
  await app.register(exclusivityRoutes, { deps });
  await app.register(stockRoutes, { deps });
  await app.register(dealerRoutes, { deps });
  await app.register(dealerOrderRoutes, { deps });
  await app.register(dealerNotificationRoutes, { deps });
  await app.register(dealerPriceColumnRoutes, { deps });
  await app.register(productRoutes, { deps });
  await app.register(priceColumnRoutes, { deps });
  await app.register(dealerSettlementRoutes, { deps });
  await app.register(accountingRoutes, { deps });
  await app.register(promotionRoutes, { deps });
  await app.register(distributionRoutes, { deps });
  await app.register(notificationRoutes, { deps });
  await app.register(onecRoutes, { deps });
  await app.register(dealerPurchaseRoutes, { deps });
  await app.register(dealerCatalogueRoutes, { deps });
};

export default v1Routes;
