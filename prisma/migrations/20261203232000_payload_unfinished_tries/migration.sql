-- A payload whose processing keeps failing ends `failed` with its reason instead of pending forever
-- (issue 11): each try that ends without a verdict (an error, a crashed worker) is counted here, the
-- verdict resets it, and at the limit (core/orders/payload-processing.ts) the payload is failed.
-- Tries starting within a minute of the last one are one try (concurrent readers of one payload).
ALTER TABLE "raw_payload" ADD COLUMN "unfinished_tries" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "raw_payload" ADD COLUMN "last_try_at" TIMESTAMPTZ(3);
