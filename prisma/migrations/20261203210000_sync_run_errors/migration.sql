-- Sync runs say what failed (issue 11): a run whose pages all failed is `failed`, one where some
-- failed is `partial`; each failed page (its number, source, raw payload and error), and the pull's
-- own failure when it broke off, is kept on the run.
ALTER TABLE "sync_run" ADD COLUMN "errors" JSONB NOT NULL DEFAULT '[]';
