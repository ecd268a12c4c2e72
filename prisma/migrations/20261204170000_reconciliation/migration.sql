-- Reconciliation and resync (issue 12, "no silent loss by design").
-- channel.reconcile_schedule: cron of the channel's reconciliation (the shop's order ids and modification
-- times over a window compared with the hub's); NULL: the hub's default (daily at a quiet hour); 'off': none.
-- channel.reconcile_window_days: how far back a reconciliation looks.
ALTER TABLE "channel" ADD COLUMN "reconcile_schedule" TEXT;
ALTER TABLE "channel" ADD COLUMN "reconcile_window_days" INTEGER NOT NULL DEFAULT 7;
-- sync_run.findings: what a reconciliation found ({ checked, missing, stale, fetched, failed, ... }) or what
-- a resync did ({ since, previousState }); NULL for plain syncs.
-- sync_run.requested_by: who asked (a resync's user or token); NULL for schedules.
ALTER TABLE "sync_run" ADD COLUMN "findings" JSONB;
ALTER TABLE "sync_run" ADD COLUMN "requested_by" TEXT;
