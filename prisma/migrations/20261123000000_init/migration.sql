-- orderhub: channels, raw inbound archive, sync runs, core orders with lines and history.

CREATE TABLE "channel" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "connector_type" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "config" JSONB NOT NULL DEFAULT '{}',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "mapping" JSONB NOT NULL DEFAULT '{}',
    "sync_schedule" TEXT NOT NULL DEFAULT '*/5 * * * *',
    "sync_state" JSONB NOT NULL DEFAULT '{}',
    "sync_lease_owner" TEXT,
    "sync_lease_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "channel_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "channel_name_key" ON "channel"("name");

CREATE TABLE "sync_run" (
    "id" TEXT NOT NULL,
    "channel_id" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "pages" INTEGER NOT NULL DEFAULT 0,
    "received" INTEGER NOT NULL DEFAULT 0,
    "created" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "unchanged" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "error_code" TEXT,
    "error" TEXT,
    CONSTRAINT "sync_run_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "sync_run_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channel"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "sync_run_channel_id_started_at_idx" ON "sync_run"("channel_id", "started_at" DESC);

CREATE TABLE "raw_payload" (
    "id" TEXT NOT NULL,
    "channel_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "source" TEXT,
    "content_type" TEXT,
    "body" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "received_count" INTEGER NOT NULL DEFAULT 1,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "error_code" TEXT,
    "error" TEXT,
    "order_count" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "processed_at" TIMESTAMPTZ(3),
    CONSTRAINT "raw_payload_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "raw_payload_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channel"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "raw_payload_channel_id_hash_key" ON "raw_payload"("channel_id", "hash");
CREATE INDEX "raw_payload_status_received_at_idx" ON "raw_payload"("status", "received_at");

CREATE TABLE "order" (
    "id" TEXT NOT NULL,
    "channel_id" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "number" TEXT,
    "status" TEXT NOT NULL,
    "source_status" TEXT,
    "source" JSONB NOT NULL DEFAULT '{}',
    "customer" JSONB NOT NULL DEFAULT '{}',
    "billing_address" JSONB,
    "shipping_address" JSONB,
    "region" TEXT,
    "currency" TEXT NOT NULL,
    "subtotal" DECIMAL(18,4) NOT NULL,
    "discount_total" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "shipping_total" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "fee_total" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "tax_total" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "total" DECIMAL(18,4) NOT NULL,
    "notes" TEXT,
    "desired_delivery_date" DATE,
    "placed_at" TIMESTAMPTZ(3) NOT NULL,
    "source_updated_at" TIMESTAMPTZ(3),
    "content_hash" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "order_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "order_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channel"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "order_channel_id_external_id_key" ON "order"("channel_id", "external_id");
CREATE INDEX "order_placed_at_id_idx" ON "order"("placed_at" DESC, "id");
CREATE INDEX "order_status_idx" ON "order"("status");
CREATE INDEX "order_region_idx" ON "order"("region");

CREATE TABLE "order_line" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'product',
    "external_id" TEXT,
    "sku" TEXT,
    "name" TEXT NOT NULL,
    "quantity" DECIMAL(18,4) NOT NULL,
    "unit_price" DECIMAL(18,6) NOT NULL,
    "subtotal" DECIMAL(18,4) NOT NULL,
    "discount" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "tax" DECIMAL(18,4) NOT NULL DEFAULT 0,
    "total" DECIMAL(18,4) NOT NULL,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    CONSTRAINT "order_line_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "order_line_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "order_line_order_id_position_key" ON "order_line"("order_id", "position");

CREATE TABLE "order_version" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "content_hash" TEXT NOT NULL,
    "changes" JSONB NOT NULL DEFAULT '[]',
    "snapshot" JSONB NOT NULL,
    "raw_payload_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "order_version_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "order_version_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "order_version_raw_payload_id_fkey" FOREIGN KEY ("raw_payload_id") REFERENCES "raw_payload"("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "order_version_order_id_version_key" ON "order_version"("order_id", "version");
