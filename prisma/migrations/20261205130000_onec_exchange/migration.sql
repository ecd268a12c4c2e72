-- The CommerceML exchange with 1C ("обмен с сайтом", issue 13): 1C is the initiator; the hub keeps every
-- exchange session, every file 1C sent (as bytes, in chunks, never on local disk: consecutive calls may
-- reach different API replicas), how far each import got, which orders went to 1C and what 1C said back.

-- One exchange session: opened by checkauth (HTTP Basic of an integration user), then named by its cookie.
-- secret_hash: SHA-256 of the cookie's secret (a database copy cannot be replayed).
-- steps: every call (mode, filename, answer's first line, ms); counts: what the imports did; error: the last failure.
CREATE TABLE "onec_exchange_session" (
  "id" TEXT NOT NULL,
  "secret_hash" TEXT NOT NULL,
  "user_id" TEXT NOT NULL,
  "login" TEXT NOT NULL,
  "type" TEXT NOT NULL,
  "channel_id" TEXT,
  "status" TEXT NOT NULL DEFAULT 'open',
  "steps" JSONB NOT NULL DEFAULT '[]',
  "counts" JSONB NOT NULL DEFAULT '{}',
  "error" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  "finished_at" TIMESTAMPTZ(3),
  CONSTRAINT "onec_exchange_session_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "onec_exchange_session_secret_hash_key" ON "onec_exchange_session"("secret_hash");
CREATE INDEX "onec_exchange_session_created_at_idx" ON "onec_exchange_session"("created_at" DESC);

-- A file 1C sent in a session (its name as sent, sub-path included), its size and chunks; the import's
-- persisted position (records already applied), state, counts and error. unpacked_from: the archive it came out of.
CREATE TABLE "onec_exchange_file" (
  "id" TEXT NOT NULL,
  "session_id" TEXT NOT NULL,
  "name" TEXT NOT NULL,
  "size" BIGINT NOT NULL DEFAULT 0,
  "chunks" INTEGER NOT NULL DEFAULT 0,
  "status" TEXT NOT NULL DEFAULT 'received',
  "position" INTEGER NOT NULL DEFAULT 0,
  "counts" JSONB NOT NULL DEFAULT '{}',
  "package" JSONB,
  "error" TEXT,
  "unpacked_from" TEXT,
  "import_started_at" TIMESTAMPTZ(3),
  "imported_at" TIMESTAMPTZ(3),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "onec_exchange_file_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "onec_exchange_file_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "onec_exchange_session"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "onec_exchange_file_session_id_name_key" ON "onec_exchange_file"("session_id", "name");

-- The bytes, chunk by chunk as they came (each at most the file_limit the hub announced).
CREATE TABLE "onec_exchange_file_chunk" (
  "file_id" TEXT NOT NULL,
  "seq" INTEGER NOT NULL,
  "bytes" BYTEA NOT NULL,
  CONSTRAINT "onec_exchange_file_chunk_pkey" PRIMARY KEY ("file_id", "seq"),
  CONSTRAINT "onec_exchange_file_chunk_file_id_fkey" FOREIGN KEY ("file_id") REFERENCES "onec_exchange_file"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- The orders a sale&mode=query answer held (with the version sent), so that mode=success marks exactly those.
CREATE TABLE "onec_exchange_export" (
  "session_id" TEXT NOT NULL,
  "order_id" TEXT NOT NULL,
  "version" INTEGER NOT NULL,
  CONSTRAINT "onec_exchange_export_pkey" PRIMARY KEY ("session_id", "order_id"),
  CONSTRAINT "onec_exchange_export_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "onec_exchange_session"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- What 1C knows of a hub order: the version it confirmed (sale&mode=success), and what it said back
-- (Номер по 1С, Дата по 1С, Проведен, ПометкаУдаления, its status as sent).
CREATE TABLE "onec_order_link" (
  "order_id" TEXT NOT NULL,
  "exported_version" INTEGER,
  "exported_at" TIMESTAMPTZ(3),
  "number_1c" TEXT,
  "date_1c" TEXT,
  "posted" BOOLEAN,
  "deletion_mark" BOOLEAN,
  "status_1c" TEXT,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "onec_order_link_pkey" PRIMARY KEY ("order_id"),
  CONSTRAINT "onec_order_link_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- Payments and shipments 1C reports against an order (ХозОперация), partial amounts allowed; the
-- order's paid total and payment state are derived from the payments.
CREATE TABLE "order_settlement_document" (
  "id" TEXT NOT NULL,
  "order_id" TEXT NOT NULL,
  "kind" TEXT NOT NULL,
  "external_id" TEXT NOT NULL,
  "number" TEXT,
  "date" TEXT,
  "operation" TEXT,
  "amount" DECIMAL(18,4) NOT NULL,
  "currency" TEXT,
  "posted" BOOLEAN,
  "deleted" BOOLEAN NOT NULL DEFAULT false,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "order_settlement_document_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "order_settlement_document_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "order_settlement_document_order_id_kind_external_id_key" ON "order_settlement_document"("order_id", "kind", "external_id");
