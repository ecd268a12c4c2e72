-- Stock, date-aware reservations, the stock ledger, stock checks with manual review, regions and exclusivity rules.

CREATE TABLE "region" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "parent_id" TEXT,
    "path" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "region_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "region_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "region"("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "region_code_key" ON "region"("code");
CREATE INDEX "region_path_idx" ON "region"("path");

CREATE TABLE "product" (
    "id" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "product_line" TEXT,
    "brand" TEXT,
    "unit" TEXT NOT NULL DEFAULT 'pcs',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "product_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "product_sku_key" ON "product"("sku");

CREATE TABLE "warehouse" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "warehouse_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "warehouse_code_key" ON "warehouse"("code");

CREATE TABLE "stock_level" (
    "product_id" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "on_hand" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "stock_level_pkey" PRIMARY KEY ("product_id", "warehouse_id"),
    CONSTRAINT "stock_level_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "stock_level_warehouse_id_fkey" FOREIGN KEY ("warehouse_id") REFERENCES "warehouse"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "incoming_supply" (
    "id" TEXT NOT NULL,
    "product_id" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "quantity" DECIMAL(18,4) NOT NULL,
    "received" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "expected_on" DATE NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "incoming_supply_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "incoming_supply_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "incoming_supply_warehouse_id_fkey" FOREIGN KEY ("warehouse_id") REFERENCES "warehouse"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "incoming_supply_product_id_reference_key" ON "incoming_supply"("product_id", "reference");
CREATE INDEX "incoming_supply_product_id_expected_on_idx" ON "incoming_supply"("product_id", "expected_on");

CREATE TABLE "reservation" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "line_position" INTEGER NOT NULL,
    "product_id" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "supply_id" TEXT,
    "quantity" DECIMAL(18,4) NOT NULL,
    "needed_by" DATE,
    "status" TEXT NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "reservation_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "reservation_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "reservation_warehouse_id_fkey" FOREIGN KEY ("warehouse_id") REFERENCES "warehouse"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "reservation_supply_id_fkey" FOREIGN KEY ("supply_id") REFERENCES "incoming_supply"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "reservation_product_id_status_idx" ON "reservation"("product_id", "status");
CREATE INDEX "reservation_order_id_idx" ON "reservation"("order_id");
CREATE INDEX "reservation_supply_id_status_idx" ON "reservation"("supply_id", "status");

CREATE TABLE "stock_movement" (
    "id" BIGSERIAL NOT NULL,
    "product_id" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "on_hand_delta" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "incoming_delta" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "reserved_delta" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "supply_id" TEXT,
    "reservation_id" TEXT,
    "order_id" TEXT,
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "stock_movement_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "stock_movement_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "stock_movement_warehouse_id_fkey" FOREIGN KEY ("warehouse_id") REFERENCES "warehouse"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "stock_movement_supply_id_fkey" FOREIGN KEY ("supply_id") REFERENCES "incoming_supply"("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "stock_movement_reservation_id_fkey" FOREIGN KEY ("reservation_id") REFERENCES "reservation"("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "stock_movement_product_id_warehouse_id_idx" ON "stock_movement"("product_id", "warehouse_id");

CREATE TABLE "stock_check" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "order_version" INTEGER NOT NULL,
    "result" TEXT NOT NULL,
    "lines" JSONB NOT NULL,
    "review_status" TEXT NOT NULL DEFAULT 'none',
    "reason" TEXT,
    "resolution" TEXT,
    "resolved_by" TEXT,
    "resolved_at" TIMESTAMPTZ(3),
    "note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "stock_check_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "stock_check_order_id_order_version_key" ON "stock_check"("order_id", "order_version");
CREATE INDEX "stock_check_review_status_created_at_idx" ON "stock_check"("review_status", "created_at");

CREATE TABLE "exclusivity_rule" (
    "id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "region_id" TEXT NOT NULL,
    "dealer_codes" TEXT[],
    "valid_from" DATE,
    "valid_to" DATE,
    "external_id" TEXT,
    "note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "exclusivity_rule_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "exclusivity_rule_region_id_fkey" FOREIGN KEY ("region_id") REFERENCES "region"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "exclusivity_rule_external_id_key" ON "exclusivity_rule"("external_id");
CREATE INDEX "exclusivity_rule_scope_value_idx" ON "exclusivity_rule"("scope", "value");
