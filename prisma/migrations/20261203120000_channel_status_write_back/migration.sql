-- Status write-back (issue 10): a core status a channel is to hear, queued in the transaction that
-- changed the order and sent later by a job with backoff. The row is the timer (next_attempt_at) and
-- what ops read; the per-channel switch lives in the channel's mapping options (statusWriteBack).
CREATE TABLE "channel_status_update" (
    "id" TEXT NOT NULL,
    "channel_id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "core_status" TEXT NOT NULL,
    "channel_status" TEXT,
    "cause" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "history" JSONB NOT NULL DEFAULT '[]',
    "sent_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "channel_status_update_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "channel_status_update_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channel"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "channel_status_update_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "channel_status_update_state_next_attempt_at_idx" ON "channel_status_update"("state", "next_attempt_at");
CREATE INDEX "channel_status_update_order_id_state_idx" ON "channel_status_update"("order_id", "state");
CREATE INDEX "channel_status_update_channel_id_created_at_idx" ON "channel_status_update"("channel_id", "created_at" DESC);
