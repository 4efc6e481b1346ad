-- The pre-queue draw's seed (docs/FAIRNESS.md): 64 lowercase hex digits, drawn when
-- the event is created; its SHA-256 is published from then on, the seed itself once
-- the sale opens. NULL for events created before this migration: their opening uses
-- an unpublished seed, as before (no commitment, no published draw).
ALTER TABLE events ADD COLUMN shuffle_seed TEXT;
