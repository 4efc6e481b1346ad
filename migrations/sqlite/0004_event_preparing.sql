-- An event whose seat rows are still being written (in bounded transactions, so a
-- big venue does not hold the database's write lock for the whole creation) is
-- `preparing`: stored, but invisible to every reader until its last transaction
-- clears the flag.
ALTER TABLE events ADD COLUMN preparing INTEGER NOT NULL DEFAULT 0 CHECK (preparing IN (0, 1));
