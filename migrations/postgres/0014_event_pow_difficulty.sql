-- Proof of work on join: the leading zero bits of SHA-256 a fan's browser finds before
-- a new place in line (0: none asked; events created before it ask none).
ALTER TABLE events ADD COLUMN pow_difficulty BIGINT NOT NULL DEFAULT 0;
