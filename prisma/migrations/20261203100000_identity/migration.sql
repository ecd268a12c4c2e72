-- Identity, roles and per-dealer isolation (issue 9): the people and machines who use the hub, how
-- they prove it (browser sessions, API tokens, passwords), failed sign-ins for throttling, the audit
-- log, and which of a dealer's users is responsible for an order the dealer took.

-- A person or a machine that signs in. Staff and integration users hold roles; a dealer's user is one
-- of the dealer's managers (dealer_manager_id), its role read from that row (head or not).
CREATE TABLE "hub_user" (
    "id" TEXT NOT NULL,
    "login" TEXT NOT NULL,
    "name" TEXT,
    "roles" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "dealer_manager_id" TEXT,
    "password_hash" TEXT,
    "password_changed_at" TIMESTAMPTZ(3),
    "disabled_at" TIMESTAMPTZ(3),
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "hub_user_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "hub_user_dealer_manager_id_fkey" FOREIGN KEY ("dealer_manager_id") REFERENCES "dealer_manager"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "hub_user_login_key" ON "hub_user"("login");
-- Logins are case-insensitive: "Anna" and "anna" are one person (Prisma cannot say expression indexes).
CREATE UNIQUE INDEX "hub_user_login_lower_key" ON "hub_user"(lower("login"));
CREATE UNIQUE INDEX "hub_user_dealer_manager_id_key" ON "hub_user"("dealer_manager_id");

-- A browser session: the cookie holds a random secret, the row only its SHA-256.
CREATE TABLE "auth_session" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "ip" TEXT,
    "user_agent" TEXT,
    CONSTRAINT "auth_session_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "auth_session_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "hub_user"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "auth_session_user_id_idx" ON "auth_session"("user_id");
CREATE INDEX "auth_session_expires_at_idx" ON "auth_session"("expires_at");

-- An API token for scripts: shown once, stored as its SHA-256.
CREATE TABLE "api_token" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "last_used_ip" TEXT,
    "revoked_at" TIMESTAMPTZ(3),
    "revoked_by" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "api_token_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "api_token_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "hub_user"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "api_token_token_hash_key" ON "api_token"("token_hash");
CREATE INDEX "api_token_user_id_idx" ON "api_token"("user_id");

-- Failed sign-ins in the current window, per login and per address (key 'login:…' / 'ip:…'). Shared by
-- every API process, so throttling holds behind a load balancer and across restarts.
CREATE TABLE "login_throttle" (
    "key" TEXT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "window_started_at" TIMESTAMPTZ(3) NOT NULL,
    "locked_until" TIMESTAMPTZ(3),
    CONSTRAINT "login_throttle_pkey" PRIMARY KEY ("key")
);

-- Who did what, when, from where: every authenticated change request, sign-ins, and before/after of
-- configuration and permission changes.
CREATE TABLE "audit_event" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "actor_user_id" TEXT,
    "via" TEXT NOT NULL,
    "ip" TEXT,
    "target_type" TEXT,
    "target_id" TEXT,
    "status" INTEGER,
    "before" JSONB,
    "after" JSONB,
    "details" JSONB,
    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "audit_event_at_idx" ON "audit_event"("at");
CREATE INDEX "audit_event_actor_id_idx" ON "audit_event"("actor", "id");
CREATE INDEX "audit_event_target_type_target_id_id_idx" ON "audit_event"("target_type", "target_id", "id");

-- Which of the dealer's users answers for the order: the one who took it (or the head, for orders the
-- dealer was given); the head reassigns. Employees change only their own.
ALTER TABLE "order_distribution" ADD COLUMN "responsible_manager_id" TEXT;
ALTER TABLE "order_distribution" ADD CONSTRAINT "order_distribution_responsible_manager_id_fkey"
    FOREIGN KEY ("responsible_manager_id") REFERENCES "dealer_manager"("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE INDEX "order_distribution_responsible_manager_id_idx" ON "order_distribution"("responsible_manager_id");
