-- The raw archive keeps what arrived as bytes: PostgreSQL text cannot hold a NUL byte, so a binary,
-- gzip or UTF-16 file used to be refused (HTTP 500, an inbox stuck on it). Existing rows were text
-- stored as UTF-8; their sha256 (over the UTF-8 text) equals the sha256 of these bytes, so dedup holds.
ALTER TABLE "raw_payload" ALTER COLUMN "body" TYPE BYTEA USING convert_to("body", 'UTF8');
-- How the bytes read as text (utf-8, iso-8859-2, utf-16le, ...) or why they do not (binary, gzip).
ALTER TABLE "raw_payload" ADD COLUMN "encoding" TEXT NOT NULL DEFAULT 'utf-8';
