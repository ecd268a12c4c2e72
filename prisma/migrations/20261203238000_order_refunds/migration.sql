-- Refunds on an order (issue 11): what the channel paid back, one row per refund the channel names,
-- written by intake from the draft's refunds (idempotent on (order_id, external_id)). Amounts are
-- positive; the order's net total is total − Σ amount.
CREATE TABLE "order_refund" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "amount" DECIMAL(18,4) NOT NULL,
    "reason" TEXT,
    "lines" JSONB NOT NULL DEFAULT '[]',
    "refunded_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "order_refund_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "order_refund_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "order_refund_order_id_external_id_key" ON "order_refund"("order_id", "external_id");
