-- Each hub process that runs workers says it is alive every 15 s (jobs/heartbeat.ts); /health/ready
-- of an API process without workers of its own reports not ready when no worker was seen in the last
-- minute. One row per process (host/pid), upserted; rows of processes gone for a day are deleted.
CREATE TABLE "worker_heartbeat" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "kind" TEXT NOT NULL,
  "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "worker_heartbeat_kind_seen_at_idx" ON "worker_heartbeat" ("kind", "seen_at");
