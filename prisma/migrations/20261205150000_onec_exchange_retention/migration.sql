-- Retention of the 1C exchange (jobs/processors/retention.ts): a file's chunks are exported to the
-- archive and deleted; its row stays (the exchange log still lists it) and says when and where to.
ALTER TABLE "onec_exchange_file" ADD COLUMN "bytes_purged_at" TIMESTAMPTZ(3);
ALTER TABLE "onec_exchange_file" ADD COLUMN "bytes_archive" TEXT;
