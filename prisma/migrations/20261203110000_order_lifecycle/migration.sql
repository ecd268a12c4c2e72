-- One order lifecycle (issue 10): every step the hub takes for an order (stock, acknowledgement,
-- distribution, core status, the channel write-back) leaves a row; a failed or pending row is its
-- own retry timer (next_attempt_at), picked up by the minute's tick.
CREATE TABLE "order_step" (
    "id" BIGSERIAL NOT NULL,
    "order_id" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "next_attempt_at" TIMESTAMPTZ(3),
    "detail" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "order_step_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "order_step_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "order_step_order_id_step_key_key" ON "order_step"("order_id", "step", "key");
CREATE INDEX "order_step_next_attempt_at_idx" ON "order_step"("next_attempt_at");

-- Who set the core status last: the channel (intake) or the hub (a dealer's or an admin's change).
-- A hub's status stands while the channel keeps reporting the status it had before.
ALTER TABLE "order" ADD COLUMN "status_by" TEXT NOT NULL DEFAULT 'channel';
