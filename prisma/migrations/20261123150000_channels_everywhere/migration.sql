-- Every sales channel: channel labels, quotes with versions (and their link to orders), outbound EDI documents.

ALTER TABLE "channel" ADD COLUMN "labels" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];

CREATE TABLE "quote" (
    "id" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "channel_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "content" JSONB NOT NULL,
    "created_by" TEXT NOT NULL,
    "lost_reason" TEXT,
    "sent_at" TIMESTAMPTZ(3),
    "accepted_at" TIMESTAMPTZ(3),
    "lost_at" TIMESTAMPTZ(3),
    "converted_at" TIMESTAMPTZ(3),
    "order_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "quote_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "quote_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channel"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "quote_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "quote_number_key" ON "quote"("number");
CREATE UNIQUE INDEX "quote_order_id_key" ON "quote"("order_id");
CREATE INDEX "quote_status_idx" ON "quote"("status");

CREATE TABLE "quote_version" (
    "id" TEXT NOT NULL,
    "quote_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "content" JSONB NOT NULL,
    "changed_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "quote_version_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "quote_version_quote_id_fkey" FOREIGN KEY ("quote_id") REFERENCES "quote"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "quote_version_quote_id_version_key" ON "quote_version"("quote_id", "version");

ALTER TABLE "order" ADD COLUMN "quote_id" TEXT;
ALTER TABLE "order" ADD CONSTRAINT "order_quote_id_fkey" FOREIGN KEY ("quote_id") REFERENCES "quote"("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE UNIQUE INDEX "order_quote_id_key" ON "order"("quote_id");

CREATE TABLE "outbound_document" (
    "id" TEXT NOT NULL,
    "channel_id" TEXT NOT NULL,
    "order_id" TEXT,
    "raw_payload_id" TEXT,
    "kind" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "dedup_key" TEXT NOT NULL,
    "file_name" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "fetched_at" TIMESTAMPTZ(3),
    CONSTRAINT "outbound_document_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "outbound_document_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channel"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "outbound_document_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "outbound_document_channel_id_kind_reference_key" ON "outbound_document"("channel_id", "kind", "reference");
CREATE UNIQUE INDEX "outbound_document_channel_id_kind_dedup_key_key" ON "outbound_document"("channel_id", "kind", "dedup_key");
CREATE INDEX "outbound_document_channel_id_created_at_idx" ON "outbound_document"("channel_id", "created_at" DESC);

-- Control numbers of outbound interchanges (X12 ISA13 needs 1..999999999; it wraps after that).
CREATE SEQUENCE "outbound_control_number" MINVALUE 1 MAXVALUE 999999999 CYCLE;
