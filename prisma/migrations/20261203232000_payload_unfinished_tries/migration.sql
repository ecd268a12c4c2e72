-- A payload whose processing keeps failing ends `failed` with its reason instead of pending forever
-- (issue 11): each try that ends without a verdict (an error, a crashed worker) is counted here, the
-- verdict resets it, and at the limit (core/orders/payload-processing.ts) the payload is failed.
ALTER TABLE "raw_payload" ADD COLUMN "unfinished_tries" INTEGER NOT NULL DEFAULT 0;
