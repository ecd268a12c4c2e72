-- Comments on an order in a dealer's hands (the dealer cabinet, issue 14): written by the dealer's
-- users, read by the dealer and the manufacturer. visibility 'client' marks a comment meant for the
-- client (stored and flagged; not sent to the shop yet), 'internal' one for the dealer and the manufacturer.
CREATE TABLE "order_comment" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "dealer_id" TEXT,
    "author_login" TEXT NOT NULL,
    "author_name" TEXT,
    "visibility" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "order_comment_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "order_comment_visibility_check" CHECK ("visibility" IN ('client', 'internal')),
    CONSTRAINT "order_comment_text_check" CHECK (char_length("text") BETWEEN 1 AND 4000),
    CONSTRAINT "order_comment_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "order_comment_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "order_comment_order_id_created_at_idx" ON "order_comment"("order_id", "created_at");
