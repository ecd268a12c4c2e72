-- Honest runs and payloads (issue 12).
-- A run keeps what the connector warned about (a store that ignores modified_after, a cursor in
-- the future that was reset): [{ page, message }].
ALTER TABLE "sync_run" ADD COLUMN "warnings" JSONB NOT NULL DEFAULT '[]';

-- A failed (or partial) payload ops have looked at: who (the signed-in user), when and why. It stays
-- failed but leaves the "needs attention" list. A reprocess that reads it clears the failure and
-- records who asked for it.
ALTER TABLE "raw_payload" ADD COLUMN "acknowledged_at" TIMESTAMPTZ(3);
ALTER TABLE "raw_payload" ADD COLUMN "acknowledged_by" TEXT;
ALTER TABLE "raw_payload" ADD COLUMN "acknowledge_reason" TEXT;
ALTER TABLE "raw_payload" ADD COLUMN "resolved_at" TIMESTAMPTZ(3);
ALTER TABLE "raw_payload" ADD COLUMN "resolved_by" TEXT;

-- Retention keeps the row (its hash still deduplicates re-pulled pages, order versions still name
-- it) and drops the body after exporting it to an archive file: when, where, and how big it was.
ALTER TABLE "raw_payload" ADD COLUMN "body_purged_at" TIMESTAMPTZ(3);
ALTER TABLE "raw_payload" ADD COLUMN "body_archive" TEXT;
ALTER TABLE "raw_payload" ADD COLUMN "body_bytes" INTEGER;
