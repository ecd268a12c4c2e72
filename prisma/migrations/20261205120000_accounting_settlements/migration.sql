-- Dealers and settlements from the accounting system (issue 13, 1C).
-- dealer.tax_id / accounting_ref / account_manager: what 1C's counterparty says beyond the dealer's own record
-- (ИНН, its Ref_Key, the manager answering for it there).
ALTER TABLE "dealer" ADD COLUMN "tax_id" TEXT;
ALTER TABLE "dealer" ADD COLUMN "accounting_ref" TEXT;
ALTER TABLE "dealer" ADD COLUMN "account_manager" TEXT;
CREATE UNIQUE INDEX "dealer_accounting_ref_key" ON "dealer"("accounting_ref");

-- A dealer's settlements for one period; a re-sync of the period replaces its row.
CREATE TABLE "dealer_settlement" (
    "id" TEXT NOT NULL,
    "dealer_id" TEXT NOT NULL,
    "period_from" DATE NOT NULL,
    "period_to" DATE NOT NULL,
    "opening" DECIMAL(18,2) NOT NULL,
    "shipped" DECIMAL(18,2) NOT NULL,
    "paid" DECIMAL(18,2) NOT NULL,
    "returns" DECIMAL(18,2) NOT NULL,
    "closing" DECIMAL(18,2) NOT NULL,
    "overdue" DECIMAL(18,2),
    "credit_limit" DECIMAL(18,2),
    "currency" TEXT NOT NULL DEFAULT 'RUB',
    "sync_id" TEXT,
    "synced_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dealer_settlement_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "dealer_settlement_dealer_id_period_from_period_to_key" ON "dealer_settlement"("dealer_id", "period_from", "period_to");
ALTER TABLE "dealer_settlement" ADD CONSTRAINT "dealer_settlement_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Shipments, payments and returns, upserted by their reference in the accounting system.
CREATE TABLE "settlement_document" (
    "id" TEXT NOT NULL,
    "dealer_id" TEXT NOT NULL,
    "source_ref" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "date" TIMESTAMPTZ(3) NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    "order_number" TEXT,
    "order_id" TEXT,
    "synced_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "settlement_document_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "settlement_document_source_ref_key" ON "settlement_document"("source_ref");
CREATE INDEX "settlement_document_dealer_id_date_idx" ON "settlement_document"("dealer_id", "date");
ALTER TABLE "settlement_document" ADD CONSTRAINT "settlement_document_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "settlement_document" ADD CONSTRAINT "settlement_document_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Every sync with the accounting system, visible to ops (GET /v1/accounting/syncs).
CREATE TABLE "accounting_sync" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "period_from" DATE,
    "period_to" DATE,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "received" INTEGER NOT NULL DEFAULT 0,
    "created" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "unchanged" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "documents" INTEGER NOT NULL DEFAULT 0,
    "error_code" TEXT,
    "error" TEXT,
    "errors" JSONB NOT NULL DEFAULT '[]',
    "requested_by" TEXT,

    CONSTRAINT "accounting_sync_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "accounting_sync_started_at_idx" ON "accounting_sync"("started_at" DESC);
