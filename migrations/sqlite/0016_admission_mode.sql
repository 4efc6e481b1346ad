-- Admission modes (issue 20): how the room treats joins and admission (`queue`,
-- `queue_all`, `reject`, `passthrough`) and the admin's message shown to fans in
-- `queue_all` and `reject` (NULL: none). Events created before modes run `queue`.
ALTER TABLE events ADD COLUMN admission_mode TEXT NOT NULL DEFAULT 'queue';
ALTER TABLE events ADD COLUMN admission_message TEXT;
