-- Distribution to dealers (issue 5): dealers with their regions, assortment, managers, promotions and
-- points; versioned strategy configurations; each order's distribution with its offers, events and
-- notifications. Timers are rows: an offer becomes visible at visible_from, the fallback happens at
-- deadline_at, fulfilment is overdue after due_at.

CREATE TABLE "dealer" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "logo_url" TEXT,
    "authorised" BOOLEAN NOT NULL DEFAULT false,
    "accepts_site_orders" BOOLEAN NOT NULL DEFAULT true,
    "call_from_site" BOOLEAN NOT NULL DEFAULT false,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "contacts" JSONB NOT NULL DEFAULT '{}',
    "description" TEXT,
    "whole_range" BOOLEAN NOT NULL DEFAULT false,
    "product_lines" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "own_prices_allowed" BOOLEAN NOT NULL DEFAULT false,
    "price_column" TEXT,
    "points" INTEGER NOT NULL DEFAULT 0,
    "takes_count" INTEGER NOT NULL DEFAULT 0,
    "take_seconds_total" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "dealer_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "dealer_code_key" ON "dealer"("code");

CREATE TABLE "dealer_region" (
    "dealer_id" TEXT NOT NULL,
    "region_id" TEXT NOT NULL,
    "is_main" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "dealer_region_pkey" PRIMARY KEY ("dealer_id", "region_id"),
    CONSTRAINT "dealer_region_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dealer_region_region_id_fkey" FOREIGN KEY ("region_id") REFERENCES "region"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "dealer_region_region_id_idx" ON "dealer_region"("region_id");
-- One main region per dealer (Prisma cannot say partial indexes; the schema comment does).
CREATE UNIQUE INDEX "dealer_region_one_main" ON "dealer_region"("dealer_id") WHERE "is_main";

CREATE TABLE "dealer_assortment" (
    "dealer_id" TEXT NOT NULL,
    "product_id" TEXT NOT NULL,
    "own_price" DECIMAL(18,6),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "dealer_assortment_pkey" PRIMARY KEY ("dealer_id", "product_id"),
    CONSTRAINT "dealer_assortment_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dealer_assortment_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "dealer_assortment_product_id_idx" ON "dealer_assortment"("product_id");

CREATE TABLE "dealer_manager" (
    "id" TEXT NOT NULL,
    "dealer_id" TEXT NOT NULL,
    "login" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT,
    "phone" TEXT,
    "is_head" BOOLEAN NOT NULL DEFAULT false,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "dealer_manager_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "dealer_manager_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "dealer_manager_login_key" ON "dealer_manager"("login");
CREATE INDEX "dealer_manager_dealer_id_idx" ON "dealer_manager"("dealer_id");
CREATE UNIQUE INDEX "dealer_manager_one_head" ON "dealer_manager"("dealer_id") WHERE "is_head";

CREATE TABLE "promotion" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "valid_from" DATE,
    "valid_to" DATE,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "promotion_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "promotion_code_key" ON "promotion"("code");

CREATE TABLE "dealer_promotion" (
    "dealer_id" TEXT NOT NULL,
    "promotion_id" TEXT NOT NULL,
    "joined_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "dealer_promotion_pkey" PRIMARY KEY ("dealer_id", "promotion_id"),
    CONSTRAINT "dealer_promotion_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dealer_promotion_promotion_id_fkey" FOREIGN KEY ("promotion_id") REFERENCES "promotion"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "dealer_points_change" (
    "id" BIGSERIAL NOT NULL,
    "dealer_id" TEXT NOT NULL,
    "delta" INTEGER NOT NULL,
    "balance" INTEGER NOT NULL,
    "cause" TEXT NOT NULL,
    "order_id" TEXT,
    "note" TEXT,
    "changed_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "dealer_points_change_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "dealer_points_change_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "dealer_points_change_dealer_id_created_at_idx" ON "dealer_points_change"("dealer_id", "created_at");
-- An order earns or costs a dealer points once per cause.
CREATE UNIQUE INDEX "dealer_points_change_dealer_id_order_id_cause_key" ON "dealer_points_change"("dealer_id", "order_id", "cause");

CREATE TABLE "distribution_config" (
    "id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "config" JSONB NOT NULL,
    "note" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "distribution_config_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "distribution_config_version_key" ON "distribution_config"("version");

CREATE TABLE "order_distribution" (
    "order_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "config_version" INTEGER NOT NULL,
    "order_version" INTEGER NOT NULL,
    "round" INTEGER NOT NULL DEFAULT 1,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deadline_at" TIMESTAMPTZ(3),
    "dealer_id" TEXT,
    "assigned_via" TEXT,
    "assigned_at" TIMESTAMPTZ(3),
    "quota_dealer_id" TEXT,
    "due_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "cancelled_at" TIMESTAMPTZ(3),
    "cancelled_by" TEXT,
    "cancel_reason" TEXT,
    "overdue_notified_at" TIMESTAMPTZ(3),
    "trace" JSONB NOT NULL DEFAULT '{}',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "order_distribution_pkey" PRIMARY KEY ("order_id"),
    CONSTRAINT "order_distribution_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "order_distribution_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "order_distribution_quota_dealer_id_fkey" FOREIGN KEY ("quota_dealer_id") REFERENCES "dealer"("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "order_distribution_status_deadline_at_idx" ON "order_distribution"("status", "deadline_at");
CREATE INDEX "order_distribution_dealer_id_status_idx" ON "order_distribution"("dealer_id", "status");
CREATE INDEX "order_distribution_started_at_idx" ON "order_distribution"("started_at");
CREATE INDEX "order_distribution_quota_dealer_id_started_at_idx" ON "order_distribution"("quota_dealer_id", "started_at");

CREATE TABLE "dealer_offer" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "dealer_id" TEXT NOT NULL,
    "tier" INTEGER NOT NULL,
    "tier_kind" TEXT NOT NULL,
    "rank" INTEGER NOT NULL DEFAULT 0,
    "visible_from" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL DEFAULT 'open',
    "decline_reason" TEXT,
    "responded_at" TIMESTAMPTZ(3),
    "notified_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "dealer_offer_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "dealer_offer_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order_distribution"("order_id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "dealer_offer_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "dealer_offer_order_id_round_dealer_id_key" ON "dealer_offer"("order_id", "round", "dealer_id");
CREATE INDEX "dealer_offer_dealer_id_status_visible_from_idx" ON "dealer_offer"("dealer_id", "status", "visible_from");
CREATE INDEX "dealer_offer_status_visible_from_idx" ON "dealer_offer"("status", "visible_from");

CREATE TABLE "distribution_event" (
    "id" BIGSERIAL NOT NULL,
    "order_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "dealer_id" TEXT,
    "actor" TEXT,
    "detail" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "distribution_event_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "distribution_event_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "distribution_event_order_id_id_idx" ON "distribution_event"("order_id", "id");
CREATE INDEX "distribution_event_kind_created_at_idx" ON "distribution_event"("kind", "created_at");

CREATE TABLE "notification" (
    "id" BIGSERIAL NOT NULL,
    "dealer_id" TEXT,
    "order_id" TEXT,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "read_at" TIMESTAMPTZ(3),
    CONSTRAINT "notification_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "notification_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "notification_dealer_id_id_idx" ON "notification"("dealer_id", "id");
