-- EDI interchanges (issue 11). What the mapping noticed without rejecting anything (UNZ count
-- mismatch, unknown syntax id, …) is kept on the payload, not only on its orders: a payload whose
-- orders all failed still shows it.
ALTER TABLE "raw_payload" ADD COLUMN "warnings" JSONB NOT NULL DEFAULT '[]';

-- Control numbers seen per partner (interchange sender): UNB 0020 / ISA13 ("interchange") and
-- UNG 0048 / GS06 ("group"), each with the payload that brought it first. A second payload with the
-- same number is a duplicate (rejected or warned, as the channel says); the same payload again is not.
CREATE TABLE "interchange_control" (
    "channel_id" TEXT NOT NULL,
    "syntax" TEXT NOT NULL,
    "sender" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "control_ref" TEXT NOT NULL,
    "raw_payload_id" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "interchange_control_pkey" PRIMARY KEY ("channel_id", "syntax", "sender", "level", "control_ref"),
    CONSTRAINT "interchange_control_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channel"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "interchange_control_raw_payload_id_idx" ON "interchange_control"("raw_payload_id");
