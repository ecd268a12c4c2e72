-- The channel's own id of an order's status (Shoprenter order status id, Unas StatusID), beside its
-- name in source_status: a status write-back sends ids, and compares with this one to not repeat
-- what the shop already shows. Orders read before this column stay NULL until their next change.
ALTER TABLE "order" ADD COLUMN "source_status_id" TEXT;
