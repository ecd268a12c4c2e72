-- Which sync lease holder runs a run (the channel's sync_lease_owner when it started). A run left
-- `running` whose channel lease has expired or is held by another owner lost its worker: the reaper
-- (core/channels/sync-reaper.ts) closes it in words and a follow-up sync resumes from the cursor.
-- Runs started before this column stay NULL: they are reaped only once the channel's lease is free.
ALTER TABLE "sync_run" ADD COLUMN "lease_owner" TEXT;
CREATE INDEX "sync_run_running_idx" ON "sync_run" ("channel_id") WHERE "status" = 'running';
